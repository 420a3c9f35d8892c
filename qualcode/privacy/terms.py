"""Word lists the detector uses: what is never replaced, and what hints at a kind.

DEFAULT_ALLOW is the allow-list of public bodies and common terms that identify
no one (the Home Office, Social Services, the NRM, GP, ESOL, college, the UK,
days and months, languages, apps). A team extends it by passing `allow=` to the
Pseudonymiser or by keeping strings in the review step (kept strings are saved in
the replacement log and apply to every later document).
"""

from __future__ import annotations

import re

DEFAULT_ALLOW: frozenset[str] = frozenset(
    s.strip()
    for s in """
    Home Office|UK Visas and Immigration|UKVI|Border Force|Immigration Enforcement|
    Social Services|Children's Services|Childrens Services|Children's Social Care|
    social care|social work|Local Authority|council|the council|City Council|
    NRM|National Referral Mechanism|Single Competent Authority|SCA|
    Modern Slavery Helpline|Independent Child Trafficking Guardian|ICTG|
    GP|NHS|A&E|CAMHS|111|police|Police|CPS|Crown Prosecution Service|
    ESOL|college|school|sixth form|university|Job Centre|Jobcentre|DWP|Universal Credit|
    Tribunal|First-tier Tribunal|Upper Tribunal|High Court|Court of Appeal|Legal Aid|
    UNHCR|IOM|UN|United Nations|EU|European Union|Interpol|
    UK|U.K.|United Kingdom|Britain|Great Britain|England|Scotland|Wales|
    Northern Ireland|Europe|the West|Channel|the Channel|Brexit|Covid|COVID|Covid-19|
    Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|
    Mondays|Tuesdays|Wednesdays|Thursdays|Fridays|Saturdays|Sundays|
    January|February|March|April|May|June|July|August|September|October|November|December|
    Christmas|Easter|Eid|Ramadan|Diwali|New Year|Halloween|Valentine's Day|
    God|Allah|Jesus|Prophet|Quran|Koran|Bible|
    English|Arabic|Tigrinya|Amharic|Pashto|Dari|Farsi|Persian|Vietnamese|Albanian|
    Kurdish|Sorani|Urdu|Somali|Oromo|French|Italian|German|Spanish|Portuguese|Russian|
    WhatsApp|Facebook|Instagram|TikTok|Snapchat|YouTube|Google|Google Translate|
    Zoom|Microsoft Teams|Teams|Uber|Netflix|iPhone|Android|PlayStation|Xbox|
    Mum|Mom|Dad|Mama|Papa|Sir|Miss|Teacher|Guardian|Interpreter|Translator|
    Social worker|Foster carer|Key worker|Support worker|Youth worker|Carer|
    Everyone|Everybody|All|Group|Unknown|Several|Many|Both|Others|Someone|Somebody
    """.split("|")
    if s.strip()
)
"""Strings never replaced (matched whole-word, case-insensitively)."""

DEMONYMS: frozenset[str] = frozenset(
    """
    afghan afghani albanian algerian american arab arabian bangladeshi british
    chinese congolese egyptian english eritrean ethiopian european french gambian
    german ghanaian greek guinean hazara indian iranian iraqi irish italian ivorian
    kosovan kosovar kurdish kurd libyan malian moroccan nigerian pakistani palestinian
    pashtun persian polish roma romanian russian scottish senegalese sierra somali
    spanish sudanese syrian tajik tigrayan turkish ugandan ukrainian uzbek
    vietnamese welsh yemeni zimbabwean african asian oromo amhara tigrinya
    cameroonian chadian djiboutian kenyan tanzanian rwandan burundian angolan
    indonesian filipino chinese bangladeshi sri lankan lithuanian latvian
    bulgarian hungarian slovak serbian bosnian macedonian montenegrin brazilian
    jamaican nepali tunisian lebanese jordanian kuwaiti saudi emirati
    baloch turkmen kurds arabs westerners europeans africans asians
    muslim muslims christian christians orthodox catholic protestant sunni shia
    hindu sikh jewish buddhist
    """.split()
)
"""Nationalities, ethnicities and religions (spaCy NORP): kept unless asked for."""

HONORIFICS: frozenset[str] = frozenset(
    "mr mr. mrs mrs. ms ms. miss dr dr. mx mx. prof prof. sr sheikh imam father".split()
)

PARTICLES: frozenset[str] = frozenset(
    "van von de da del der den al el bin bint abu ibn thi le la di du st".split()
)
"""Name particles that are never a name on their own."""

PERSON_CUES: dict[str, float] = {
    **dict.fromkeys(
        """friend friends cousin brother sister uncle auntie aunty aunt mum mother
        father dad son daughter wife husband teacher carer worker lawyer solicitor
        guardian roommate flatmate boyfriend girlfriend grandma grandmother
        grandfather granddad grandpa nephew niece manager boss officer doctor nurse
        mentor coach neighbour named called""".split(),
        3.0,
    ),
    **dict.fromkeys("told tell asked ask met meet says said with and".split(), 0.5),
}
"""A word just before a name that says it is a person's, with its weight."""

PERSON_VERBS: frozenset[str] = frozenset(
    """lives lived works worked goes went says said told helped helps came comes plays
    played likes loves wants knows thinks cooks calls called messaged texted smiles
    laughs cried speaks spoke""".split()
)
"""A verb just after a name that says it is a person's ("Hamza lives ...")."""

PLACE_CUES: dict[str, float] = {
    **dict.fromkeys("in from near at via through towards outside inside".split(), 1.5),
    "to": 0.75,
}
"""A word just before a name that says it is a place, with its weight."""

PLACE_AFTER: frozenset[str] = frozenset(
    "station airport city town village camp region province district port".split()
)

ORG_WORDS: frozenset[str] = frozenset(
    """school academy college university project trust foundation fostering club
    centre center council charity services service church mosque temple ltd limited
    society association network agency hospital clinic forum fc united solicitors
    housing hostel partnership alliance initiative youth team chambers barristers
    authority commission ministry department institute company refuge shelter""".split()
)
"""A word inside a name that makes it an organisation's."""

INTRO_CUES = (
    r"I[ \t]+am|I['\u2019]m|my[ \t]+name[ \t]+is|my[ \t]+name['\u2019]s"
    r"|(?:you[ \t]+can[ \t]+|they[ \t]+|people[ \t]+|everyone[ \t]+|friends[ \t]+)?call[ \t]+me"
    r"|(?:they|people|everyone|friends)[ \t]+calls?[ \t]+me"
    r"|I[ \t]+am[ \t]+called|I['\u2019]m[ \t]+called"
)
"""Self-introductions: "I am X", "I'm X", "my name is X", "call me X". The capitalised
words after one are a person's name, whatever NER makes of them."""

NOT_INTRODUCED: frozenset[str] = frozenset(
    """fine good ok okay well happy sad sorry sure tired hungry ready new here there
    back home alone free safe scared lucky glad afraid young old single married
    pregnant ill sick better worse grateful thankful proud confused worried
    nervous excited bored busy late early still also just not so very really only
    going trying doing""".split()
)
"""Words that follow "I am" capitalised by a transcriber's habit, never a name."""

FILE_WORDS: frozenset[str] = frozenset(
    """interview interviews transcript transcripts transcription notes note workshop
    workshops session location group final draft copy version audio video recording
    translated translation english clean cleaned anonymised anonymized redacted part
    day week focus participant participants young person people meeting call zoom
    teams txt docx pdf doc new old edited raw full summary""".split()
)
"""Words file names are made of, never a name in one ("Yusuf_interview_final")."""

STREET_TYPES = (
    "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Crescent|Cres|Court|Ct|"
    "Place|Pl|Gardens|Gdns|Grove|Terrace|Hill|Square|Sq|Walk|Row|Mews|Parade|Rise|"
    "View|Park|Green|Vale|Boulevard"
)
"""Street types after a house number (an address)."""

STREET_NAMES_ALONE = (
    "Street|Road|Avenue|Lane|Crescent|Terrace|Grove|Gardens|Mews|Drive|Close|Square|Way"
)
"""Street types that make a name a street without a house number (a place)."""

SPEAKER_CODE = re.compile(
    r"(?<![\w])(?:(?:YP|P)[ ]?\d+"
    r"|(?:Co-facilitator|Facilitator|Interviewer|Researcher|Moderator|Participant"
    r"|Interviewee|Respondent)(?:[ ]\d+)?"
    r"|Young person[ ]\d+|Speaker[ ]\d+)(?![\w])",
    re.IGNORECASE,
)
"""Speaker pseudonyms used in transcripts: YP1, P3, Facilitator 2, Young person 4."""

STRUCTURAL_LABEL = re.compile(
    r"(?<![\w])(?:Location|Session|Site|Group|Workshop|Week|Day|Room|Table|Part|Activity)"
    r"[ ]\d+(?![\w])",
    re.IGNORECASE,
)
"""Study labels such as "Location 2" or "Session 3": never names."""
