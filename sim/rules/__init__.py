"""The model's behaviour, one module per mechanism; each equation is defined once, in its mechanism's module.

- :mod:`sim.rules.firms`: delivered quality, offers and their fit, listening, reputation, staffing;
- :mod:`sim.rules.contacts`: the quality perceived in routine contacts, answers and advisor meetings;
- :mod:`sim.rules.requests`: answers to requests, lateness, complaints, response-time expectations;
- :mod:`sim.rules.callcentre`: the phone lines as a queue of agents (Erlang C/A as special cases);
- :mod:`sim.rules.experience`: a contact's satisfaction and the closing of the day;
- :mod:`sim.rules.expectations`: the three norms, announcements and promises;
- :mod:`sim.rules.trust`: beta evidence, forgetting, promise coherence;
- :mod:`sim.rules.word_of_mouth`: who talks, and what a peer's message does;
- :mod:`sim.rules.cascades`: public posts reshared across the social graph;
- :mod:`sim.rules.relationships`: recognition, trust and attachment day by day;
- :mod:`sim.rules.privacy`: personalisation and the privacy calculus;
- :mod:`sim.rules.churn`: leaving and switching; :mod:`sim.rules.acquisition`: prospects becoming customers;
- :mod:`sim.rules.campaigns`: campaign experiments and their effect.

Machinery: :mod:`sim.rules.jit` (compiled rules and passes), :mod:`sim.rules.params` (parameter
groups from the schema), :mod:`sim.rules.daybook` (the day's per-consumer sums),
:mod:`sim.rules.sampling` (event draws), :mod:`sim.rules.queues` (backlogs). docs/ENGINE.md explains
the layout.
"""
