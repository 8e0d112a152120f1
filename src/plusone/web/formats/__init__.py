"""The practice's date formats, one per locale: every page formats dates through these
(``{{ value|date }}``, ``{{ value|date:"DATETIME_FORMAT" }}``, ``formats.date_format``)."""
