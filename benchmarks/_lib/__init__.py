"""What the benchmark scripts share. They run as ``python benchmarks/NAME.py``, which puts
benchmarks/ on ``sys.path``, and import these as ``from _lib.machine import ...``:

- machine: the run record (when, what machine, how busy) and the summary rows;
- paths: the repository, the results folder, the data sets and work folders;
- child: running a configuration in a child process, and a process's memory;
- cpu: how much of the machine's CPU other processes took meanwhile;
- embedders: an embedder answering known texts from vectors computed beforehand;
- storefile: the benchmark's own access to a store's SQLite file (setup and inspection,
  never the timed library path).
"""
