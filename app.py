"""qualcode's Streamlit app: `st.navigation` over the pages in qualcode/ui/.

Started by `qualcode app` (loopback only, usage statistics off) with QUALCODE_DB
naming the project file. The app holds no connection: every page opens short
ones through the library, so the CLI can read and write while it runs.
"""

from __future__ import annotations

import streamlit as st

from qualcode.errors import QualcodeError
from qualcode.ui.common import PAGES, project, project_path
from qualcode.ui.identity import SESSION_KEY, uses_accounts
from qualcode.ui.markup import md

# No page icons: the current page's icon becomes the favicon, and Streamlit fetches a
# Material icon favicon from fonts.gstatic.com; the default favicon is served locally.
st.set_page_config(page_title="qualcode", layout="wide")
st.set_option("client.toolbarMode", "minimal")  # no Deploy button (a link off the machine)

navigation = st.navigation(
    {
        "You": [
            st.Page(PAGES["signin"], title="Sign in", default=True),
        ],
        "Coding": [
            st.Page(PAGES["import"], title="Import", url_path="import"),
            st.Page(PAGES["code"], title="Code"),
            st.Page(PAGES["document"], title="Document"),
            st.Page(PAGES["codebook"], title="Codebook"),
        ],
        "Analysis": [
            st.Page(PAGES["themes"], title="Themes"),
            st.Page(PAGES["matrix"], title="Matrix"),
            st.Page(PAGES["progress"], title="Progress"),
            st.Page(PAGES["agreement"], title="Agreement"),
            st.Page(PAGES["export"], title="Export"),
            st.Page(PAGES["audit"], title="Audit"),
            st.Page(PAGES["accounts"], title="Accounts"),
        ],
    }
)
with st.sidebar:
    who = st.session_state.get(SESSION_KEY)
    try:  # with accounts, nothing of the project before sign-in
        open_to_all = not uses_accounts(project())
    except QualcodeError:  # the page itself says what is wrong with the project
        open_to_all = False
    if who or open_to_all:
        st.caption(md(f"{'Coding as ' + who if who else 'Not signed in'} · {project_path().name}"))
    else:
        st.caption("Not signed in")
navigation.run()
