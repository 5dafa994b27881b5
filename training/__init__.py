"""Building the shipped models: NER and topic training, cluster/vector building, priors, evaluation.

Imports ``processors`` (the run-time code the models are built for), never the reverse; not in the runtime wheel.
"""
