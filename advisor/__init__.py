"""advisor: a knee-aware training load advisor for runners.

Data flows one way: sources -> decode -> metrics -> store -> risk -> advice -> outputs.
The packages are named after those steps; `advisor.usecases` ties them together, one transaction per use case.
"""

__version__ = "0.1.0"
