"""Process models: the one door to pm4py and the model algorithms built on it.

- :mod:`.pm`: reading, discovering and writing models (pm4py lives behind it);
- :mod:`.behaviour`: a model's directly-follows graph and reachable markings;
- :mod:`.statespace`: exact alignments of all variants at once on a state space;
- :mod:`.alignment`: the alignment routes (state space, directly-follows, A*).
"""
