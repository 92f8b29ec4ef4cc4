"""`synth brief`: what everyone should know before the next sync, for one audience.

1. Period (period.py). Everything since the previous meeting of the series (titles that differ
   only by a date), or since a date, or the last 14 days; "as of" a day (today by default).
2. Facts (facts.py, assembly.py, sections.py, tailored.py, agenda.py). Assembled from the stored
   insights, flags and vision, without a model:
   - threads: similar roadblocks (assumptions, requests) from several meetings are one thread,
     with its first mention, who raised it and how often it came back;
   - a roadblock is resolved, and an action done, when a later meeting says so about it;
   - an assumption's status comes from its flags; it is relied on as often as it is repeated and
     as decisions, actions and promises lean on it;
   - requests are counted across meetings and customers (named, or "three prospects").
   Every fact cites the meeting and file:line of the words it rests on.
3. Audience (build.py). A function (or a person, through the roster) changes which sections lead
   and whose items come first; the facts are the same.
4. Prose (writer.py). With a model, a prompted chain writes a short lead for each section from the
   same facts. A sentence whose citation is not one of the facts, or whose number is not in the
   facts it cites, is dropped, and the drops are counted.

What grows with the store is worked out once by a writer (digest.py, after every check and
forget): the threads, what resolved each roadblock, what leans on each assumption, the lines
spoken per meeting. A brief or report that sees every meeting reads that digest and only the
insights it needs (the kinds it follows, and its period's); on a store without an up-to-date
digest (written by an older synth, or a write interrupted) it works everything out itself, as
before, and says so on stderr: a reading command never writes the store.

Markdown and HTML (render.py) show exactly the facts of the `Brief` (model.py), which is what
`--format json` prints. Only the data types are imported here, so that importing them is cheap.
"""

from .model import Brief, Cite, Details, Fact, Section

__all__ = ["Brief", "Cite", "Details", "Fact", "Section"]
