"""pytest configuration shared by the unit tests and the notebook tests (nbval).

Notebook kernels inherit this process's environment: under pytest there is no widget front
end, so widgets draw their static figure, and progress bars stay off, exactly as when the
committed outputs were produced (tools/run_notebook.sh).
"""

import os

os.environ.setdefault("NNLIB_WIDGETS", "static")
os.environ.setdefault("TQDM_DISABLE", "1")
