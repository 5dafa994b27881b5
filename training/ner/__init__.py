"""Training and evaluation of the shipped NER model (``processors/ner/model``): ``akhbar train ner``, ``akhbar eval ner``."""
