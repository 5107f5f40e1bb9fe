"""Reads for leadership's portfolio dashboard (004), one module per concept.

* ``periods``: the period picker (which quarters, which one by default);
* ``frame``: the filtered frame every figure starts from, and the filters;
* ``tiles``: the tiles and the segmentation;
* ``heatmap``: one page of the partner table, its columns and sort options;
* ``export``: the same table as CSV;
* ``page``: the page put together through the roll-up cache (``assessments.infra.rollups``).

The definitions of the tiles, with a worked example, are in docs/DASHBOARD.md.
"""
