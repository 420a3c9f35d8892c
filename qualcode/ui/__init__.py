"""The Streamlit app's pages (one file each, run by `st.navigation` in app.py) and the
small helpers they share. Pages call library functions only: no SQL here."""
