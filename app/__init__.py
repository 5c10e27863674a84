"""Coulisse: lesson observation coded for mechanisms, for the team's coulissen-ruimte."""
