# Two commands do everything: `make book` builds the HTML book, `make test` runs every check.
# Each creates the virtual environment (.venv) with the pinned requirements when it is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg

.PHONY: links help venv book test unit notebooks lint browser bench student learner learner-check grade clean

help:
	@echo "make book   - build the HTML book into _build/html (warnings are errors)"
	@echo "make test   - lint, unit tests, book build, notebook tests (nbval), browser check"
	@echo "make bench  - print the speed benchmarks"
	@echo "make student- write the student edition of the notebooks into student/"
	@echo "make learner- write the learner edition (plain Jupyter, no solutions) into learner/"
	@echo "make learner-check - run every learner notebook: stubs 'Not solved yet', solutions 'Correct'"
	@echo "make grade SUBMISSIONS=dir - run submitted notebooks, write grades.csv"

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip==24.3.1
	$(BIN)/python -m pip install -q -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

# The HTML book in _build/html, from the committed notebook outputs (execute_notebooks: off).
book: venv
	$(BIN)/jupyter-book build -W -n --keep-going .

lint: venv
	$(BIN)/ruff check nnlib tests benchmarks book tools

unit: venv
	$(BIN)/python -m pytest tests

# Re-run every notebook of book/ (and the chapter template) and compare each cell's output
# with the committed one. Widgets static, no progress bars, figures inline (not Agg), as in
# tools/run_notebook.sh, which produces the committed outputs.
NOTEBOOK_ENV := NNLIB_WIDGETS=static TQDM_DISABLE=1 \
	MPLBACKEND=module://matplotlib_inline.backend_inline
notebooks: venv
	$(NOTEBOOK_ENV) $(BIN)/python -m pytest $(wildcard book/*.ipynb) templates/chapter_template.ipynb \
		--nbval --nbval-current-env --nbval-cell-timeout=1200 \
		--nbval-sanitize-with .ci/nbval_sanitize.cfg -p no:cacheprovider

# Open the built pages in headless Chromium: maths rendered, figures and exercise boxes
# present, no request to a remote host; screenshots in _build/screenshots (CI artifact).
# Skipped with a visible reason when chromium is not installed.
browser: venv
	$(BIN)/python -m pytest tests/test_browser.py -p no:cacheprovider

# Everything, in the order that fails fastest: lint, unit tests, book (with -W), notebooks, browser.
test: venv lint unit book notebooks browser

bench: venv
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_cnn.py --samples 6000

# The student edition: every chapter notebook with its solutions replaced by stubs
# (raise NotImplementedError), solution dropdowns removed, outputs cleared; see
# book/instructors.md.
student: venv
	$(BIN)/python -m nnlib.course.instructor student --out student

# The learner edition, committed in learner/: the student edition with its MyST converted to
# plain Jupyter Markdown (nnlib/course/instructor/learner.py); launch buttons open it.
# tests/test_learner_edition.py fails when learner/ is stale.
learner: venv links
	$(BIN)/python -m nnlib.course.instructor learner --out learner

# The repository URL (_config.yml) and the version (nnlib/__init__.py) written into the Colab
# cell of every chapter, the README's links and CITATION.cff (nnlib/course/instructor/links.py).
links: venv
	$(BIN)/python -m nnlib.course.instructor links

# Each learner notebook run once in a fresh kernel (plain nbclient): every exercise check says
# "Not solved yet" on the stub, then "Correct" with the book's solution; nothing else raises.
learner-check: venv
	NNLIB_LEARNER_CHECK=1 $(NOTEBOOK_ENV) $(BIN)/python -m pytest tests/test_learner_edition.py \
		-k runs_stub -p no:cacheprovider

# Grade a folder of submitted notebooks (STUDENT.ipynb files or STUDENT/ folders): each runs
# in a fresh kernel with TIMEOUT seconds; one row per student, one column per exercise.
SUBMISSIONS ?= submissions
GRADES ?= grades.csv
TIMEOUT ?= 600
grade: venv
	$(BIN)/python -m nnlib.course.instructor grade $(SUBMISSIONS) --out $(GRADES) --timeout $(TIMEOUT)

clean:
	rm -rf _build student
