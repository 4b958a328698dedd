"""Document-level BM25: each chunk's terms row carries its document's length, and the statistics
count documents beside chunks. Existing rows are filled from the chunk terms already stored."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("retrieval", "0004_access_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="chunkterms",
            name="document_lexeme_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="lexemestatistic",
            name="document_count",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="corpusstatistic",
            name="document_count",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunSQL(
            [
                """
                UPDATE retrieval_chunkterms c SET document_lexeme_count = d.total
                FROM (
                    SELECT document_id, sum(lexeme_count) AS total
                    FROM retrieval_chunkterms GROUP BY document_id
                ) d
                WHERE c.document_id = d.document_id
                """,
                """
                UPDATE retrieval_lexemestatistic s SET document_count = d.documents
                FROM (
                    SELECT u.lexeme, count(DISTINCT c.document_id) AS documents
                    FROM retrieval_chunkterms c, unnest(c.lexemes) u GROUP BY u.lexeme
                ) d
                WHERE s.lexeme = d.lexeme
                """,
                """
                UPDATE retrieval_corpusstatistic
                SET document_count = (SELECT count(DISTINCT document_id) FROM retrieval_chunkterms)
                """,
            ],
            migrations.RunSQL.noop,
        ),
    ]
