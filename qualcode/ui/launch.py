"""The Streamlit process of `qualcode app`: `python -m qualcode.ui.launch run app.py ...`
is `streamlit run app.py ...` with the host guard installed first."""

import sys

from qualcode.ui.host_guard import install

if __name__ == "__main__":
    install()
    from streamlit.web.cli import main

    sys.argv[0] = "streamlit"
    sys.exit(main())
