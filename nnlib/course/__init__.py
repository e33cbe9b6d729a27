"""The course machinery: what the book's notebooks use, and nothing a network needs.

The library a learner reads is ``nnlib`` itself (``core``, ``layers``, ``losses``, ``optim``,
``training``, ...). This subpackage holds what runs *around* it:

* ``plotting``   -- decision boundaries, learning curves, weight and image grids (matplotlib);
* ``widgets``    -- the interactive cells, with a static fallback outside Jupyter;
* ``notebook``   -- the chapter timer and the resource report at the end of each chapter;
* ``exercises``  -- the checker behind every ``check("chNN.name", fn)`` cell of the book;
* ``instructor`` -- the student edition and the grading of submissions
  (``python -m nnlib.course.instructor``).

Nothing in ``nnlib`` imports from here, so ``import nnlib`` never loads matplotlib.
"""
