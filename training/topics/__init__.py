"""Training and evaluation of the shipped topic bundle (``processors/topics/model``): ``akhbar train|eval topics``."""
