"""Registers the NLP enrichment steps (entities, topics) in the chain of ``processors.enrich``."""
