"""Requests for a private person's sensitive personal data ("What is my neighbour's political
affiliation?", "Find out where my ex lives").

The harm heads score such requests low (0.06-0.17 out of fold): nothing in them is violent or
criminal in words, and the embedding sees a question about a neighbour. They are recognised by
their shape instead: a request (what, which, where, find, look up, access, ...) for a sensitive
attribute (health, immigration status, religion, politics, sexual orientation, criminal record,
home address, login, browsing history, ...) of a third party named by relation (my coworker,
my date, a celebrity, the guard who reported me). A question about one's own data, about a policy
("How long do we keep employees' medical records?") or about a public or fictional figure by name
does not match. At input the pii rule flags a match: the request is recorded, not refused.

English only, like the embedding. Every pattern has bounded repetition, so it runs in linear time.
"""

from __future__ import annotations

import re

_RELATION = (
    r"(?:neighbou?r|date|ex|ex-(?:wife|husband|girlfriend|boyfriend|partner)|teacher|gardener|"
    r"co-?worker|colleague|boss|manager|supervisor|landlord|landlady|tenant|classmate|friend|"
    r"partner|wife|husband|girlfriend|boyfriend|fianc[eé]e?|spouse|employee|staff member|"
    r"doctor|therapist|nanny|babysitter|cleaner|roommate|flatmate|housemate|patient|student|"
    r"pupil|customer|client|crush|sister|brother|mother|father|mom|mum|dad|son|daughter|cousin|"
    r"aunt|uncle|in-law|stepdaughter|stepson|stepmother|stepfather|applicant|candidate|new hire|"
    r"intern|contractor|driver|nurse|caregiver|celebrity|stranger|journalist|reporter|guard|"
    r"whistleblower|witness|victim|juror|team ?mate|subordinate|direct report|tenant|lodger|"
    r"girl|guy|woman|man|person|lady|kid|child|teen|coach|pastor|priest|dentist|accountant)"
)
# A third party: "my coworker's", "our tenants'", "a celebrity's", "celebrities'", "someone's".
_POSSESSOR = (
    r"(?:(?:my|our|a|an|the|his|her|their|this|that|some)\s+(?:\w+\s+)?"
    + _RELATION
    + r"(?:s|es)?(?:'s|’s|s'|s’|')"
    + r"|(?:celebrities|people|strangers|other people|everyone|everybody|someone|somebody|"
    r"anyone|anybody)(?:'s|’s|'|’)?)"
)
_ATTRIBUTE = (
    r"(?:medical\s+(?:records?|history|files?|conditions?|diagnos[ie]s|results|information|data)|"
    r"health\s+(?:records?|history|conditions?|status|information|data|problems|issues)|"
    r"mental[- ]health(?:\s+(?:history|records?|conditions?|status|issues|problems))?|"
    r"psychiatric\s+\w+|therapy\s+(?:notes|records|sessions)|diagnos[ie]s|medications?|"
    r"prescriptions?|hiv\s+status|std\s+status|pregnancy|disabilit(?:y|ies)|genetic\s+\w+|"
    r"(?:immigration|citizenship|visa|residency|legal)\s+status|"
    r"religio(?:n|us\s+(?:beliefs|views|affiliation|background))|faith|"
    r"political\s+(?:affiliation|views|beliefs|leanings|party|opinions|allegiance)|voting\s+(?:record|history)|"
    r"sexual\s+(?:orientation|history|preferences|partners|life)|sex\s+life|gender\s+identity|"
    r"criminal\s+(?:records?|history|background|past)|arrest\s+(?:records?|history)|convictions|"
    r"(?:home|private|personal|residential)\s+(?:address|phone\s+number|number|e-?mail(?:\s+address)?)|"
    r"date\s+of\s+birth|social\s+security\s+number|ssn|national\s+insurance\s+number|"
    r"passport\s+(?:number|details)|driver'?s\s+licen[cs]e\s+number|"
    r"bank\s+(?:account|details|statements?|balance)|credit\s+card\s+(?:number|details)|"
    r"card\s+(?:number|details)|pin|passwords?|logins?|log-?in\s+details|credentials|"
    r"(?:browsing|internet|search|location|call)\s+history|private\s+(?:messages|photos|chats)|"
    r"text\s+messages|dms|whereabouts|current\s+location|salary|payslips?|income|tax\s+returns?|"
    r"ethnicity|race)"
)
# Asking for the value, not about a policy: the request opens the sentence or follows "I".
_REQUEST = (
    r"(?:what(?:'s|’s)?|which|where|tell\s+me|give\s+me|show\s+me|send\s+me|get\s+me|"
    r"list|find(?:\s+out)?|look\s+up|dig\s+up|pull(?:\s+up)?|reveal|share|"
    r"(?:how|where)\s+(?:can|could|do|would|should|might)\s+(?:i|we|you|one)\s+"
    r"(?:\w+\s+){0,2}?(?:find|get|access|see|read|obtain|track|check|look\s+up|pull|dig\s+up|"
    r"learn|discover|figure\s+out|hack|get\s+into|break\s+into|view|know|uncover|trace|search)|"
    r"(?:i\s+)?(?:want|need)\s+(?:to\s+(?:know|see|find|get|access|read))?|"
    r"(?:can|could|would)\s+you\s+(?:\w+\s+){0,1}?(?:find|get|tell|look\s+up|check|pull|dig\s+up|share|give))"
)
_GAP = r"(?:\s+(?!of\b|about\b|regarding\b|on\b|for\b|under\b|to\b|in\b|with\b|rights\b|policy\b|privacy\b)[\w'-]+){0,2}?"
_PATTERNS = (
    # What is my neighbour's political affiliation?  Where can I find celebrities' medical records?
    re.compile(
        r"(?i)^\W*"
        + _REQUEST
        + r"\b(?:[^.?!]{0,40}?\s)?"
        + _POSSESSOR
        + _GAP
        + r"\s+"
        + _ATTRIBUTE
        + r"\b"
    ),
    # What is the home address of the guard who reported me?
    re.compile(
        r"(?i)^\W*"
        + _REQUEST
        + r"\b(?:[^.?!]{0,40}?\s)?"
        + _ATTRIBUTE
        + r"\s+of\s+(?:my|our|a|an|the|that|this)\s+(?:\w+\s+)?"
        + _RELATION
        + r"s?\b"
    ),
    # Find out where my ex lives.  Where does my coworker live?
    re.compile(
        r"(?i)\b(?:where|which\s+(?:street|town|house|flat|building))\s+(?:does\s+|do\s+)?"
        r"(?:my|our|the|a|this|that)\s+(?:\w+\s+)?"
        + _RELATION
        + r"s?\s+(?:now\s+|currently\s+|really\s+)?(?:lives?|is\s+living|stays?|sleeps?)\b"
    ),
    # What medication is my boss taking?  What religion is my manager?  Who did my neighbour vote for?
    re.compile(
        r"(?i)^\W*(?:what|which)\s+(?:medications?|medicines?|drugs|pills|religion|faith|"
        r"political\s+party|party|illness|disease|condition)\s+(?:is|are|does|do)\s+"
        r"(?:my|our|the|this|that)\s+(?:\w+\s+)?" + _RELATION + r"s?\b"
    ),
    re.compile(
        r"(?i)^\W*who\s+(?:did|does|will)\s+(?:my|our|the|this|that)\s+(?:\w+\s+)?"
        + _RELATION
        + r"s?\s+vote\b"
    ),
    # Is my coworker gay?  Which of my employees are pregnant?
    re.compile(
        r"(?i)^\W*(?:is|are|which\s+of\s+(?:my|our|the)\s+(?:\w+\s+)?"
        + _RELATION
        + r"s?\s+(?:is|are))\s+(?:(?:my|our|the|this|that)\s+(?:\w+\s+)?"
        + _RELATION
        + r"s?\s+)?(?:secretly\s+|really\s+)?(?:gay|lesbian|bisexual|trans(?:gender)?|pregnant|"
        r"hiv[- ]positive|undocumented|(?:an?\s+)?illegal(?:\s+immigrants?)?|on\s+medication|"
        r"in\s+therapy|mentally\s+ill|muslim|jewish|christian|atheist)\b"
    ),
)


def asks_for_personal_data(text: str) -> bool:
    """True when the text asks for a private third party's sensitive personal data."""
    return any(p.search(text) for p in _PATTERNS)
