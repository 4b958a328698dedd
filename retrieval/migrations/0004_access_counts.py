"""Chunk counts per access set, kept by a trigger on retrieval_document (see AccessCount)."""

import django.contrib.postgres.fields
from django.db import migrations, models

# Same key as retrieval.bm25.STATISTICS_LOCK: count changes are serialised with ingestion's.
TRIGGER = """
CREATE FUNCTION retrieval_document_access_count() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1380275282);
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.chunk_count <> 0 THEN
        UPDATE retrieval_accesscount SET chunk_count = chunk_count - OLD.chunk_count
        WHERE principals = OLD.principals;
        DELETE FROM retrieval_accesscount WHERE principals = OLD.principals AND chunk_count <= 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.chunk_count <> 0 THEN
        INSERT INTO retrieval_accesscount (principals, chunk_count)
        VALUES (NEW.principals, NEW.chunk_count)
        ON CONFLICT (principals) DO UPDATE
        SET chunk_count = retrieval_accesscount.chunk_count + EXCLUDED.chunk_count;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER retrieval_document_access_count_change
AFTER INSERT OR DELETE ON retrieval_document
FOR EACH ROW EXECUTE FUNCTION retrieval_document_access_count();

CREATE TRIGGER retrieval_document_access_count_update
AFTER UPDATE OF principals, chunk_count ON retrieval_document
FOR EACH ROW
WHEN (OLD.principals IS DISTINCT FROM NEW.principals OR OLD.chunk_count <> NEW.chunk_count)
EXECUTE FUNCTION retrieval_document_access_count();

INSERT INTO retrieval_accesscount (principals, chunk_count)
SELECT principals, sum(chunk_count) FROM retrieval_document
WHERE chunk_count <> 0 GROUP BY principals;
"""

UNDO = """
DROP TRIGGER retrieval_document_access_count_update ON retrieval_document;
DROP TRIGGER retrieval_document_access_count_change ON retrieval_document;
DROP FUNCTION retrieval_document_access_count();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("retrieval", "0003_chunk_terms"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "principals",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.TextField(), size=None, unique=True
                    ),
                ),
                ("chunk_count", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunSQL(TRIGGER, UNDO),
    ]
