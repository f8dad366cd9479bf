"""The garbage collector of a long-lived app process.

Once Django is set up and the URL configuration is imported, a process holds about 200 000
objects that live as long as it does (modules, models, the URL patterns, the translation
catalogues, the API's schemas). CPython's collector walks all of them in every full
collection, and a page allocates enough short-lived objects (querysets, model instances,
template contexts) to set off a young collection every 700 allocations and a full one
every few pages. `settle()` moves what is alive at start-up into the permanent generation,
which the collector never walks (and which, in gunicorn's forked workers, the collector
then never writes to, so those pages stay shared with the master), and raises the first
threshold so that a page costs a handful of young collections instead of hundreds.
Reference cycles are still collected: the thresholds are only raised, never turned off.
"""

import gc

# Young collections every 50 000 net allocations instead of 700: a list page allocates
# a few hundred thousand objects, most of them freed by reference counting at once.
THRESHOLDS = (50_000, 20, 10)


def settle():
    """Call once the process has loaded what it keeps (after the URL configuration)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
