"""The HNSW graph is built with ef_construction 128 instead of 64.

At 1M chunks the graph of 64 found 0.868 of the exact top 10 at ef_search 200 and 0.965 at 800; the
graph of 128 finds 0.938 and 0.994 (docs/BENCHMARKS.md, filtered search at scale). The full index is
rebuilt here (about 9 minutes at 1M chunks on two cores, 30 s at 100k). The partial indexes are
dropped, and the next `sync_partial_indexes` (hourly, or `bench_search`) builds them again with the
same parameters; until then their readers search the full index with an iterative scan.
"""

import pgvector.django.indexes
from django.db import migrations

DROP_PARTIAL_INDEXES = """
DO $$
DECLARE name text;
BEGIN
    FOR name IN
        SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'retrieval_chunk'::regclass AND c.relname LIKE 'chunk_hnsw_p_%'
    LOOP
        EXECUTE format('DROP INDEX %I', name);
    END LOOP;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("retrieval", "0007_ingestion_run"),
    ]

    operations = [
        migrations.RunSQL(DROP_PARTIAL_INDEXES, reverse_sql=migrations.RunSQL.noop),
        # A build whose graph fits in memory takes minutes, not hours (until this transaction ends).
        migrations.RunSQL(
            "SET LOCAL maintenance_work_mem = '1GB'", reverse_sql=migrations.RunSQL.noop
        ),
        migrations.RemoveIndex(
            model_name="chunk",
            name="chunk_embedding_hnsw",
        ),
        migrations.AddIndex(
            model_name="chunk",
            index=pgvector.django.indexes.HnswIndex(
                ef_construction=128,
                fields=["embedding"],
                m=16,
                name="chunk_embedding_hnsw",
                opclasses=["vector_cosine_ops"],
            ),
        ),
    ]
