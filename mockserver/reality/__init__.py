"""The reality loop: the mock checked against the real vendor (docs/REALITY.md): ``proxy``
(with ``--record``), ``serve --replay``, ``verify``. Vendor facts come through ``Vendor``."""
