"""``divergence.arrays.unique`` is ``np.unique`` (values, order and dtype), only faster on integers."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from divergence.arrays import unique


@given(hnp.arrays(st.sampled_from([np.int64, np.int32, np.uint8, np.bool_]), hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=30)))
def test_unique_equals_numpy_unique_on_integer_and_boolean_arrays(a):
    got, want = unique(a), np.unique(a)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_unique_of_floats_folds_nans_as_numpy_does():
    got = unique(np.array([2.0, np.nan, 1.0, np.nan, 2.0]))
    np.testing.assert_array_equal(got, np.array([1.0, 2.0, np.nan]))


def test_unique_of_an_empty_and_a_one_element_array():
    assert unique(np.zeros(0, dtype=np.int64)).tolist() == []
    assert unique(np.array([7])).tolist() == [7]
    assert unique([5, 3, 5]).tolist() == [3, 5]
