"""ExchangeLab dashboard: Streamlit views over the ``sim`` engine."""
