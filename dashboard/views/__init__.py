"""Dashboard pages (each file is one ``st.Page``)."""
