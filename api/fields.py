"""Fields that accept exactly what the schema says: no "3" for an integer, no 1 for a boolean,
no 42 for a string. DRF's own fields coerce them, and a client would learn a shape the schema denies."""

from __future__ import annotations

from django.core.validators import RegexValidator
from rest_framework import serializers

from assessments.periods import PeriodError, Quarter


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDecimalField(serializers.DecimalField):
    """An amount as a string, e.g. "125000.00" (JSON numbers lose cents to floating point)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDateField(serializers.DateField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Write the date as YYYY-MM-DD, e.g. 2027-01-31.")
        return super().to_internal_value(data)


PERIOD_PATTERN = r"^[0-9]{4}-Q[1-4]$"


class PeriodField(StrictCharField):
    """A quarter written ``YYYY-Qn``, within the supported range (2000-Q1 to 2100-Q4)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 7)
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(PERIOD_PATTERN, "Write the quarter as YYYY-Qn, e.g. 2026-Q3."))

    def to_internal_value(self, data):
        code = super().to_internal_value(data)
        try:
            return Quarter.parse_supported(code).code
        except PeriodError as error:
            raise serializers.ValidationError(str(error)) from None
