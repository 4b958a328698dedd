"""Carol manages a document in headless Chromium: upload, watch it become ready, restrict, see the
access history, search, delete.

Runs against the real web process and a real Celery worker, so the status she watches is the
worker's own progress arriving through the page's polling, without a reload.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connections

from retrieval.access import group_principal, user_principal
from retrieval.models import Document
from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Drops a file on the drop zone as a drag from the desktop would.
DROP_FILE = """({name, text}) => {
  const data = new DataTransfer();
  data.items.add(new File([text], name, {type: "text/markdown"}));
  const drop = new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true});
  document.getElementById("dropzone").dispatchEvent(drop);
}"""
# The worker loads the embedding model on its first document.
INGEST_TIMEOUT_MS = 180_000


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_staff_manage_a_document_in_a_real_browser(
    web_server, celery_worker, carol, groups, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; `make browser` installs it")
    # Playwright's sync API runs an event loop in this thread; the ORM checks in between are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    upload = tmp_path / "leave-policy.md"
    upload.write_text("# Leave policy\n\nEveryone gets twenty-five days of paid leave a year.\n")
    hr = groups["HR"]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # One context, so that a second tab shares her session.
            context = browser.new_context()
            page = context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
            page.on(
                "response",
                lambda response: (
                    problems.append(f"{response.status} {response.url}")
                    if response.status >= 400 and not response.url.endswith("/favicon.ico")
                    else None
                ),
            )

            # Signed out, the page sends her to sign in and back.
            page.goto(f"{web_server}/documents/")
            page.wait_for_url("**/accounts/login/?next=/documents/")
            page.get_by_label("Username").fill("carol")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{web_server}/documents/")
            expect(page.get_by_role("heading", name="Documents")).to_be_visible()
            # Set once; still there at the end only if the page never reloaded.
            page.evaluate("window.sameLoad = true")

            page.locator('input[type="file"][name="uploads"]').set_input_files(upload)
            expect(page.locator("#upload-log li.ok")).to_contain_text("queued for indexing")
            row = page.locator("tr[data-doc]", has_text="leave-policy.md")
            expect(row.locator('[data-field="status"]')).to_have_text(
                "ready", timeout=INGEST_TIMEOUT_MS
            )
            expect(row.locator('[data-field="chunk_count"]')).not_to_have_text("0")
            document = Document.objects.get(original_filename="leave-policy.md")
            assert document.status == Document.Status.READY
            assert document.org_wide

            # Dropping the same bytes again goes through the same upload path and is refused.
            page.evaluate(DROP_FILE, {"name": "copy.md", "text": upload.read_text()})
            expect(page.locator("#upload-log li.failed")).to_contain_text("already uploaded")
            assert Document.objects.count() == 1
            assert problems == [f"400 {web_server}/documents/upload"]
            problems.clear()

            row.get_by_role("link", name="Access…").click()
            dialog = page.locator("#access-dialog")
            dialog.get_by_label("Only the groups and people chosen below").check()
            dialog.get_by_label("HR", exact=True).check()
            dialog.get_by_role("button", name="Save access").click()
            expect(dialog).to_be_hidden()
            expect(row.locator('[data-field="access_label"]')).to_have_text("HR")
            document.refresh_from_db()
            assert not document.org_wide
            assert sorted(document.principals) == sorted(
                [group_principal(hr.pk), user_principal(carol.pk)]
            )
            chunk_principals = list(document.chunks.values_list("principals", flat=True))
            assert chunk_principals
            assert all(sorted(p) == sorted(document.principals) for p in chunk_principals)

            # In another tab (the list page must not reload): the history, and the search form.
            other = context.new_page()
            other.goto(f"{web_server}/documents/{document.pk}/")
            history = other.locator("#history")
            expect(history).to_contain_text("created")
            expect(history).to_contain_text("changed")
            expect(history.locator("tbody tr")).to_have_count(2)
            # Carol uploaded it, so she is among its readers.
            expect(other.locator("#passages")).to_contain_text("twenty-five days")
            other.goto(f"{web_server}/documents/")
            other.get_by_label("Search").fill("LEAVE")
            other.get_by_role("button", name="Search").click()
            expect(other.locator("tr[data-doc]", has_text="leave-policy.md")).to_have_count(1)
            other.get_by_label("Search").fill("no such words")
            other.get_by_role("button", name="Search").click()
            expect(other.locator("#no-documents")).to_have_text("No documents match the search.")
            other.close()

            page.once("dialog", lambda confirm: confirm.accept())
            row.get_by_role("button", name="Delete").click()
            expect(row).to_have_count(0)
            assert not Document.objects.filter(pk=document.pk).exists()

            assert page.evaluate("window.sameLoad") is True
            assert problems == []
        finally:
            browser.close()
            # The ORM calls above ran beside Playwright's event loop on a connection of their own;
            # left open, it stops the test database from being dropped at the end of the run.
            connections.close_all()
