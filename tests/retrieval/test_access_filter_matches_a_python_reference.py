"""Random access graphs: the SQL filter must agree with a plain-Python reading of the rules."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval import bm25
from retrieval.access import chunks_visible_to, documents_visible_to, principals_for
from retrieval.models import Chunk, Document
from retrieval.search import SearchOptions, _visible_chunks, search_with
from retrieval.services import document_set_access
from tests.retrieval.rerankers import cross_encoder_folder  # noqa: F401

pytestmark = pytest.mark.django_db

USERS, GROUPS = 4, 3

documents_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "owner": st.one_of(st.none(), st.integers(0, USERS - 1)),
            "org_wide": st.booleans(),
            "users": st.sets(st.integers(0, USERS - 1)),
            "groups": st.sets(st.integers(0, GROUPS - 1)),
        }
    ),
    min_size=1,
    max_size=6,
)
membership_strategy = st.lists(st.sets(st.integers(0, GROUPS - 1)), min_size=USERS, max_size=USERS)


def may_read(user_index, membership, spec):
    """The rules of DESIGN.md, in Python."""
    return (
        spec["org_wide"]
        or spec["owner"] == user_index
        or user_index in spec["users"]
        or bool(membership[user_index] & spec["groups"])
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=documents_strategy, membership=membership_strategy, flip=st.booleans())
def test_sql_filter_agrees_with_the_python_rules(cross_encoder_folder, specs, membership, flip):  # noqa: F811
    with transaction.atomic():
        users = [User.objects.create(username=f"p{i}") for i in range(USERS)]
        groups = [Group.objects.create(name=f"pg{i}") for i in range(GROUPS)]
        for user, member_of in zip(users, membership, strict=True):
            user.groups.set([groups[g] for g in member_of])
        documents = []
        for number, spec in enumerate(specs):
            document = Document.objects.create(
                title=f"d{number}", original_filename=f"d{number}.md", sha256=f"{number:064d}",
                owner=users[spec["owner"]] if spec["owner"] is not None else None, chunk_count=1,
            )  # fmt: skip
            Chunk.objects.create(
                document=document, version=1, ordinal=0, text=f"text {number}", token_count=2,
                embedding=[1.0] + [0.0] * 383,
            )  # fmt: skip
            with connection.cursor() as cursor:
                bm25.index_document(cursor, document_id=document.pk, title=document.title)
            # Access goes through the service, as every real change does.
            document_set_access(
                document=document,
                org_wide=spec["org_wide"] if not flip else not spec["org_wide"],
                groups=[groups[g] for g in spec["groups"]],
                users=[users[u] for u in spec["users"]],
            )
            documents.append(document)
        effective = [dict(s, org_wide=s["org_wide"] != flip) for s in specs]

        for index, user in enumerate(users):
            expected = {
                d.pk for d, spec in zip(documents, effective, strict=True)
                if may_read(index, membership, spec)
            }  # fmt: skip
            assert set(documents_visible_to(user).values_list("id", flat=True)) == expected
            assert set(chunks_visible_to(user).values_list("document_id", flat=True)) == expected
            # With the second stage on (a real cross-encoder), the same set and nothing more.
            for reranker in ("off", str(cross_encoder_folder)):
                passages = search_with(
                    principals=principals_for(user),
                    query="text",
                    k=50,
                    options=SearchOptions.configured(use_dense=False, reranker=reranker),
                )
                assert {p.document_id for p in passages} == expected
                assert reranker == "off" or all(p.rerank_score is not None for p in passages)
            # The per-access-set counts kept by the database trigger agree as well.
            with connection.cursor() as cursor:
                assert _visible_chunks(cursor, principals_for(user)) == (len(expected), len(specs))
        transaction.set_rollback(True)
