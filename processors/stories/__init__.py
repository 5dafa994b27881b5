"""Stories: reprints (``duplicate_of``) and events across outlets (``story_id``), assigned online over a window.

    enriched article ─▶ features (keyword terms, word shingles, entities, time) ─▶ StoryIndex.assign
        ├─ reprint: MinHash LSH over word 3-shingles; the earliest near-copy in the window (its own original)
        └─ story: the best open story by term cosine + shared entities, above a threshold, else a new story

``StoryIndex`` is plain, deterministic Python: the same articles in the same order give the same ids, whatever
process runs it (``akhbar enrich``, the faust stage, the tests). Its state can be written out as records and read
back (``processors.stories.index``), which is how the stream stage survives restarts.
"""
