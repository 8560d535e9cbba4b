"""Data types of rule expressions and of the claim schema."""

from __future__ import annotations

from .dtypes import BOOL as BOOL
from .dtypes import DATE as DATE
from .dtypes import DURATION as DURATION
from .dtypes import FLOAT as FLOAT
from .dtypes import INT as INT
from .dtypes import MONEY as MONEY
from .dtypes import MONTH as MONTH
from .dtypes import NULL as NULL
from .dtypes import STR as STR
from .dtypes import TIMESTAMP as TIMESTAMP
from .dtypes import UNKNOWN as UNKNOWN
from .dtypes import DataType as DataType
from .dtypes import ListType as ListType
from .dtypes import RowType as RowType
from .dtypes import Scalar as Scalar
from .dtypes import SetType as SetType
from .dtypes import default_format as default_format
from .dtypes import unify as unify
