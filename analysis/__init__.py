"""Analyses of KCE Report 359, as pure functions on pandas data frames.

Only `quartowrap.authoring.data` reads files; every other module takes data frames and returns
tidy data frames, so a chapter, a test and a benchmark call the same code.
"""
