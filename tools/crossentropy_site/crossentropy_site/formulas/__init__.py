"""Formulas held to the code: the site's display formulas are read (:mod:`.tex`) and
evaluated at random points of the site's notation (:mod:`.world`,
:mod:`.evaluate`), so that a flipped sign or a dropped factor fails the tests
(:mod:`.check`)."""

from .check import FormulaProblem, check_formula, directives_of

__all__ = ["FormulaProblem", "check_formula", "directives_of"]
