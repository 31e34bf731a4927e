"""Products bought together: support, confidence and lift over pairs, from a sparse matrix.

With ``X`` the binary order x product matrix (1 when the order has the product), the
co-occurrence counts of all pairs are ``C = X.T @ X`` (``C[i, i]`` = orders with product i).
For a pair (A, B) over ``N`` orders with at least one product (Agrawal et al. 1993; Brin et
al. 1997)::

    support(A, B)    = C[A, B] / N
    confidence(A->B) = C[A, B] / C[A, A]
    lift(A, B)       = C[A, B] * N / (C[A, A] * C[B, B])

Lift 1 means the two are bought together exactly as often as chance predicts; 2 twice as often.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse


def basket_matrix(lines: pd.DataFrame, *, item: str = "product_id",
                  basket: str = "order_id") -> tuple[sparse.csr_matrix, pd.Index]:
    """Binary basket x item matrix (CSR, int32) and the item labels of its columns.

    Parameters
    ----------
    lines : DataFrame
        One row per order line with ``basket`` and ``item`` columns; rows with a missing item
        are ignored, repeated items in a basket count once.
    item, basket : str
        Column names.

    Returns
    -------
    (scipy.sparse.csr_matrix, pandas.Index)
        Shape (baskets with an item, items).
    """
    known = lines[item].notna().to_numpy()
    item_codes, items = pd.factorize(lines.loc[known, item], sort=True)
    basket_codes, _ = pd.factorize(lines.loc[known, basket])
    X = sparse.csr_matrix((np.ones(len(item_codes), dtype=np.int32),
                           (basket_codes, item_codes)),
                          shape=(int(basket_codes.max()) + 1 if len(basket_codes) else 0,
                                 len(items)))
    X.sum_duplicates()
    X.data[:] = 1
    return X, pd.Index(items, name=item)


def item_pairs(lines: pd.DataFrame, *, item: str = "product_id", basket: str = "order_id",
               min_support: float = 0.0005, min_count: int = 10,
               top: int | None = None) -> pd.DataFrame:
    """All item pairs bought together often enough, with support, confidence and lift.

    Parameters
    ----------
    lines : DataFrame
        Order lines (see :func:`basket_matrix`).
    item : str
        ``"product_id"`` for products, ``"category"`` for categories.
    basket : str
        Basket column (``"order_id"``).
    min_support : float
        Least share of orders containing both (0.0005 = 5 in 10,000 orders).
    min_count : int
        Least number of orders containing both (guards small data sets).
    top : int, optional
        Keep only the ``top`` pairs by lift.

    Returns
    -------
    DataFrame
        ``item_a``, ``item_b`` (a < b), ``orders_a``, ``orders_b``, ``together`` (orders),
        ``support``, ``confidence_a_b`` (share of orders with A that also have B),
        ``confidence_b_a`` and ``lift``; sorted by lift, highest first.
    """
    X, items = basket_matrix(lines, item=item, basket=basket)
    n = X.shape[0]
    if n == 0:
        return pair_table([], [], [], [], [], 0)
    Xc = X.tocsc()
    co = sparse.triu(Xc.T @ Xc, k=1).tocoo()
    counts = np.asarray(X.sum(axis=0)).ravel()
    keep = co.data >= pair_threshold(n, min_support=min_support, min_count=min_count)
    a, b = co.row[keep], co.col[keep]
    return pair_table(items[a], items[b], counts[a], counts[b], co.data[keep], n, top=top)


def pair_threshold(n: int, *, min_support: float, min_count: int) -> float:
    """Least number of orders a pair must share: ``max(min_count, min_support * n)``.

    An item in fewer orders than this cannot be in such a pair (the SQL engines drop those
    items before pairing).
    """
    return max(min_count, min_support * n)


def pair_table(item_a: object, item_b: object, orders_a: object, orders_b: object,
               together: object, n: int, *, top: int | None = None) -> pd.DataFrame:
    """Support, confidences and lift of item pairs from their order counts.

    Parameters
    ----------
    item_a, item_b : array-like
        The two items of each pair (``item_a < item_b``).
    orders_a, orders_b : array-like of int
        Orders with item A, with item B.
    together : array-like of int
        Orders with both.
    n : int
        Orders with at least one item.
    top : int, optional
        Keep the ``top`` pairs by lift.

    Returns
    -------
    DataFrame
        As :func:`item_pairs`.
    """
    na = np.asarray(orders_a, dtype=np.float64)
    nb = np.asarray(orders_b, dtype=np.float64)
    both = np.asarray(together, dtype=np.float64)
    out = pd.DataFrame({
        "item_a": item_a, "item_b": item_b,
        "orders_a": na.astype(np.int64), "orders_b": nb.astype(np.int64),
        "together": both.astype(np.int64), "support": both / n if n else both,
        "confidence_a_b": both / na, "confidence_b_a": both / nb,
        "lift": both * n / (na * nb),
    }).sort_values(["lift", "together", "item_a", "item_b"], ascending=[False, False, True,
                                                                        True],
                   ignore_index=True)
    return out.head(top) if top is not None else out
