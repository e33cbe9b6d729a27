"""Tools for instructors: the student edition of the chapters and the grading of submissions.

* :func:`~nnlib.course.instructor.student.write_student_edition` writes the chapter notebooks with
  every solution replaced by a stub (``python -m nnlib.course.instructor student``, ``make student``);
* :func:`~nnlib.course.instructor.grading.grade_folder` runs a folder of submitted notebooks, each
  in a fresh kernel with a time limit, and writes a per-student, per-exercise pass/fail CSV
  (``python -m nnlib.course.instructor grade SUBMISSIONS --out grades.csv``, ``make grade``).

The book's page "For instructors" (``book/instructors.md``) explains both.
"""
