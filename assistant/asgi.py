"""ASGI entry point for the web process: Django behind the request body limit."""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

from assistant.bodylimit import BodyLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assistant.settings")

django_application = get_asgi_application()

# Room for the multipart framing and form fields around an upload of the largest allowed size.
MULTIPART_ROOM = 1024 * 1024

application = BodyLimit(django_application, max_bytes=settings.MAX_UPLOAD_BYTES + MULTIPART_ROOM)
