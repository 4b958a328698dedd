"""Prompt-injection and jailbreak detection: a trained head plus high-precision patterns."""

from __future__ import annotations

import re

from moderation.categories import Category
from moderation.features import TextFeatures
from moderation.heads import LinearHeads, has_packaged_heads, packaged_heads
from moderation.registry import Detection
from moderation.verdict import Stage

INJECTION_WEIGHTS = "injection.npz"
# Retrieved passages are scored by a head trained on document sections too, where one ships.
CONTEXT_INJECTION_WEIGHTS = "context-injection.npz"

# Phrases that almost only occur in attacks; each match scores 1.0 on its own. They cover
# English and German, the languages of the training data.
INJECTION_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+|my\s+)?"
        r"(?:previous|prior|above|earlier|preceding|former|original)\s+"
        r"(?:instructions?|prompts?|rules|directions|directives|context|tasks?)",
        r"\b(?:reveal|print|show|repeat|output|leak)\s+(?:me\s+)?(?:your|the)\s+"
        r"(?:system\s+prompt|initial\s+(?:prompt|instructions)|hidden\s+instructions)",
        r"\b(?:ignorier\w*|vergiss|vergessen\s+sie)\s+(?:\w+\s+){0,3}"
        r"(?:anweisungen|befehle|instruktionen|aufgaben|vorgaben)",
        r"<\|im_start\|>\s*system|\[/?INST\]|^\s*#{2,}\s*(?:new|system)\s+instructions?",
        r"\bif\s+you\s+are\s+an?\s+(?:ai|language\s+model|llm|assistant)\b.{0,40}\b"
        r"(?:ignore|stop|instead|must)\b",
        # "forget everything before/above", "despite what you have been told"
        r"\b(?:ignore|disregard|forget)\s+(?:about\s+)?(?:everything|all(?:\s+of)?\s+(?:that|this|the\s+above))"
        r"(?:\s+(?:that\s+)?(?:was\s+|you\s+were\s+|i\s+)?(?:said|told(?:\s+you)?|written|given))?\s+"
        r"(?:before|above|previously|earlier|so\s+far|until\s+now|up\s+to\s+(?:now|here))\b",
        r"\bdespite\s+(?:what|anything|everything)\s+you(?:'ve|\s+have|\s+were|\s+are)\s+(?:been\s+)?told\b",
        # "all previous information you received is irrelevant", "imagine you are an evil AI"
        r"\b(?:(?:previous|prior|earlier|above)\s+(?:instructions|prompts?|information)\s+(?:that\s+)?you"
        r"(?:'ve|\s+have)?\s+(?:received|been\s+given|were\s+given|got)|your\s+(?:previous|prior|earlier|original)"
        r"\s+(?:instructions|prompts?))\b"
        r".{0,50}\b(?:is|are)\s+(?:now\s+)?(?:irrelevant|void|obsolete|invalid|cancell?ed|no\s+longer\s+valid)",
        r"\b(?:vorherigen|bisherigen|obigen|vorigen)\s+(?:anweisungen|instruktionen|eingaben|informationen),?"
        r"\s+die\s+(?:sie|du)\s+(?:erhalten|bekommen)\s+(?:haben|hast)\b"
        r".{0,50}\b(?:sind|ist)\s+(?:jetzt\s+)?(?:irrelevant|unwichtig|ungültig|hinfällig|"
        r"nicht\s+(?:mehr\s+)?(?:gültig|wichtig|relevant))",
        r"\b(?:pretend|imagine|suppose)\s+(?:that\s+)?you\s+are\s+(?:now\s+)?an?\s+(?:evil|malicious|unrestricted|"
        r"uncensored|unfiltered|rogue)\s+(?:ai|assistant|chatbot|bot|model)\b",
        r"\b(?:stell\s+dir\s+vor|stellen\s+sie\s+sich\s+vor|tu\s+so),?\s+(?:als\s+ob\s+)?(?:du\s+bist|sie\s+sind|"
        r"du\s+w[äa]r(?:e|st))\s+(?:jetzt\s+)?(?:eine?\s+)?(?:böse|bösartige|unzensierte|uneingeschränkte)\s+(?:ki|ai)\b",
        # German: "vergiss alles davor", "die obigen Ausführungen ignorieren", "abweichend von den
        # vorherigen Instruktionen"
        r"\b(?:vergiss|vergesst|vergessen\s+sie|ignorier\w*)\s+(?:bitte\s+)?(?:einfach\s+)?alles,?\s+"
        r"(?:davor|zuvor|vorher|bisher\w*|gesagte\w*|obige\w*|vorherige\w*|vorangegangene\w*|"
        r"was\s+(?:ich|man)\s+(?:dir\s+|ihnen\s+|euch\s+)?(?:gesagt|geschrieben))",
        r"\b(?:obigen|vorherigen|vorigen|bisherigen|vorangegangenen)\s+(?:\w+\s+){0,2}(?:ignorieren|vergessen)\b",
        r"\b(?:abweichend|entgegen|ungeachtet)\s+(?:zu\s+|von\s+)?(?:den\s+|allen\s+|aller\s+)?"
        r"(?:vorherigen|bisherigen|obigen|vorigen)\s+(?:anweisungen|instruktionen|befehle|vorgaben)",
        # French: "oublie tout ce qui précède", "ignorez les instructions précédentes"
        r"\b(?:oublie|oubliez|ignore|ignorez)\s+(?:tout\s+ce\s+qui\s+pr[ée]c[èe]de|"
        r"tout\s+ce\s+(?:que|qu')\s*(?:je|j'|on)\s*(?:t'|vous\s+)?(?:ai|a)\s+(?:dit|écrit)|"
        r"(?:toutes\s+(?:les|tes|vos)|tes|vos)\s+(?:instructions|consignes|directives|règles)|"
        r"les\s+(?:instructions|consignes|directives|règles)\s+(?:précédentes|antérieures|ci-dessus|initiales))",
        # Spanish: "olvida todo lo anterior", "olvide todo que digo antes", "ignora las instrucciones previas"
        r"\b(?:olvid[ae]\w*|ignor[ae])\s+(?:todo\s+(?:lo\s+anterior|(?:lo\s+)?que\s+(?:te\s+)?(?:he\s+dicho|"
        r"dije|digo|dicho|escrib\w+)|antes)|"
        r"(?:todas\s+(?:las|tus|sus)|tus|sus)\s+(?:instrucciones|indicaciones|reglas|órdenes)|"
        r"las\s+(?:instrucciones|indicaciones|reglas|órdenes)\s+(?:anteriores|previas|de\s+antes))",
        # Italian: "dimentica tutto quello che", "ignora le istruzioni precedenti"
        r"\b(?:dimentica|dimenticate|dimentichi|ignora|ignorate)\s+(?:tutto\s+(?:(?:quello|ciò|quanto)\s+"
        r"(?:che\s+(?:ti|vi)\s+(?:ho|è\s+stato)\s+(?:detto|scritto)|che\s+precede|detto)|prima)|"
        r"(?:tutte\s+le|le\s+tue|le\s+sue)\s+(?:istruzioni|indicazioni|regole)|"
        r"le\s+(?:istruzioni|indicazioni|regole)\s+(?:precedenti|di\s+prima))",
        # English and Russian: "forget your instructions", "забудьте все инструкции"
        r"\b(?:ignore|disregard|forget)\s+(?:(?:all\s+(?:of\s+)?)?your\s+(?:instructions|programming|guidelines)\b|"
        r"all\s+instructions(?=\s*(?:and\b|[,.;:!]|$)))",
        r"(?:забудь|забудьте|игнорируй|игнорируйте)\s+(?:все\s+)?(?:предыдущие\s+|свои\s+|ваши\s+)?"
        r"(?:инструкции|указания|правила)",
    )
)

JAILBREAK_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bdo\s+anything\s+now\b|\byou\s+are\s+(?:now\s+)?DAN\b|\bact\s+as\s+DAN\b",
        r"\bdeveloper\s+mode\s+(?:enabled|on|activated)\b|\benable\s+developer\s+mode\b",
        r"\b(?:without|no)\s+(?:any\s+)?(?:content\s+)?(?:restrictions|filters|censorship|"
        r"guidelines|limitations)\b.{0,60}\b(?:answer|respond|reply)",
        r"\byou\s+are\s+no\s+longer\s+(?:bound|restricted|an?\s+ai)",
        r"\bpretend\s+(?:that\s+)?you\s+(?:are|have)\s+(?:an?\s+ai\s+)?(?:with\s+)?no\s+"
        r"(?:rules|restrictions|guidelines|filters)",
        r"\bjailbr(?:o|ea)k(?:en|ed)?\s+mode\b",
    )
)


def pattern_score(text: str, patterns: tuple[re.Pattern[str], ...]) -> float:
    """1.0 when any pattern matches, else 0.0."""
    return 1.0 if any(p.search(text) for p in patterns) else 0.0


def detect(text: str, features: TextFeatures, stage: Stage) -> Detection:
    """Scores for prompt_injection (head or any pattern) and jailbreak (patterns)."""
    head = _head(stage).score(features)[Category.PROMPT_INJECTION]
    jailbreak = pattern_score(text, JAILBREAK_PATTERNS)
    injection = max(head, pattern_score(text, INJECTION_PATTERNS), jailbreak)
    return Detection(scores={Category.PROMPT_INJECTION: injection, Category.JAILBREAK: jailbreak})


def _head(stage: Stage) -> LinearHeads:
    if stage is Stage.CONTEXT and has_packaged_heads(CONTEXT_INJECTION_WEIGHTS):
        return packaged_heads(CONTEXT_INJECTION_WEIGHTS)
    return packaged_heads(INJECTION_WEIGHTS)


def load() -> None:
    """Load the embedding model and the heads (the registry calls this once per process)."""
    features = TextFeatures("warm up")
    _head(Stage.INPUT).score(features)
    _head(Stage.CONTEXT).score(features)
