"""Recommendations ("For you"): a per-user content model over a shared background.

The pieces, each pure and tested alone: ``text`` (terms and their hashes),
``features`` (the instance's background model and tf-idf rows), ``model``
(the per-user state, serialisable), ``training`` (signals → model),
``scoring`` (named scorers and the ranking with boosts, mutes and
exploration), ``explain`` (why a paper is recommended), ``evaluation``
(``paperwire eval recommend``). docs/recommendations.md describes the model.
"""
