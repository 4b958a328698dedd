"""BM25 lexemes move from the chunk row to a narrow table of their own (see ChunkTerms)."""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("retrieval", "0002_documents_and_chunks"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChunkTerms",
            fields=[
                (
                    "chunk",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="terms",
                        serialize=False,
                        to="retrieval.chunk",
                    ),
                ),
                ("lexemes", django.contrib.postgres.search.SearchVectorField()),
                ("lexeme_count", models.PositiveIntegerField()),
                (
                    "principals",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.TextField(), size=None
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="chunkterms",
            name="document",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="retrieval.document",
            ),
        ),
        # Existing chunks keep their lexemes: copied before the columns go.
        migrations.RunSQL(
            """
            INSERT INTO retrieval_chunkterms (chunk_id, document_id, lexemes, lexeme_count, principals)
            SELECT id, document_id, lexemes, lexeme_count, principals
            FROM retrieval_chunk WHERE lexemes IS NOT NULL
            """,
            migrations.RunSQL.noop,
        ),
        migrations.RemoveIndex(
            model_name="chunk",
            name="chunk_lexemes_gin",
        ),
        migrations.RemoveField(
            model_name="chunk",
            name="lexeme_count",
        ),
        migrations.RemoveField(
            model_name="chunk",
            name="lexemes",
        ),
        migrations.AddIndex(
            model_name="chunkterms",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["lexemes"], name="chunkterms_lexemes_gin"
            ),
        ),
        migrations.AddIndex(
            model_name="chunkterms",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["principals"], name="chunkterms_principals_gin"
            ),
        ),
    ]
