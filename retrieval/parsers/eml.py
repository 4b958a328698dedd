"""E-mail (RFC 822 .eml): headers and the text body; attachments are named, not indexed."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path

from retrieval.parsers import ParseError, Section
from retrieval.parsers.html import sections_from_html


def parse(path: Path) -> list[Section]:
    """The message as one section headed by its subject."""
    data = path.read_bytes()
    message = email.message_from_bytes(data, policy=policy.default)
    if not isinstance(message, EmailMessage) or not (message["From"] or message["Subject"]):
        raise ParseError("The file is named .eml but is not an e-mail message.")
    subject = str(message["Subject"] or "").strip()
    header_lines = [
        f"{name}: {message[name]}" for name in ("From", "To", "Date", "Subject") if message[name]
    ]
    body = ""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is not None:
        content = part.get_content()
        if part.get_content_type() == "text/html":
            body = "\n".join(s.text for s in sections_from_html(content))
        else:
            body = str(content)
    attachments = [a.get_filename() or "unnamed" for a in message.iter_attachments()]
    lines = [*header_lines, "", body.strip()]
    if attachments:
        lines += ["", "Attachments (not indexed): " + ", ".join(attachments)]
    return [Section(text="\n".join(lines).strip(), headings=(subject,) if subject else ())]
