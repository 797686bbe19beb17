"""The domain: what an activity is, its metrics, the knee's risk and the advice — pure values and rules.

No database, no clock, no network: everything here is a function of plain typed values, so the knee engine can be
read, tested and reasoned about without any of the machinery around it (DESIGN.md's lowest floor).
"""
