"""Contract columns recognised under the names exports commonly give them.

Without a mapping entry, a contract column missing under its own name is looked for under the
common names of :data:`SYNONYMS`, compared without case, spaces, underscores, dashes and dots
(``Customer ID``, ``CustomerID`` and ``customer_id`` are one name). A column is taken only when
exactly one unused source column matches; two or more candidates are an error for a required
column (naming them and the mapping line that settles it) and leave an optional one out.

Bare words that often hold something else are not taken: ``Customer`` or ``Client`` may hold a
person's name (which must never become an id shown in a report), ``State`` a region.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["INVOICE_LINE_KEYS", "SYNONYMS", "candidates", "looks_like_invoice_lines",
           "normalise"]

_ID = ("id", "no", "number", "nr", "num", "code", "key")

SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "orders": {
        "order_id": ("order", *[f"order{s}" for s in _ID], "invoice",
                     *[f"invoice{s}" for s in _ID], "transactionid", "receiptid", "ticketno"),
        "customer_id": (*[f"customer{s}" for s in _ID], "cust", "custid", "clientid",
                        "memberid", "accountid", "userid", "buyerid", "shopperid"),
        "order_date": ("date", "orderdate", "invoicedate", "purchasedate", "transactiondate",
                       "orderdatetime", "ordertime", "orderedat", "purchasedat", "createdat",
                       "datetime", "timestamp", "saledate"),
        "amount": ("revenue", "sales", "total", "totalamount", "ordertotal", "ordervalue",
                   "value", "netamount", "grandtotal", "totalprice", "turnover", "spend",
                   "amountspent"),
        "channel": ("saleschannel", "orderchannel"),
        "status": ("orderstatus",),
    },
    "order_items": {
        "order_id": ("order", *[f"order{s}" for s in _ID], "invoice",
                     *[f"invoice{s}" for s in _ID]),
        "product_id": ("product", *[f"product{s}" for s in _ID], "stockcode", "sku", "itemid",
                       "articleid", "article", "articleno", "item"),
        "quantity": ("qty", "units", "quantityordered", "amountofitems", "count"),
        "unit_price": ("price", "unitprice", "itemprice", "priceeach", "priceperunit"),
        "discount": ("discountamount", "rebate"),
    },
    "customers": {
        "customer_id": (*[f"customer{s}" for s in _ID], "cust", "custid", "clientid",
                        "memberid", "accountid", "userid"),
        "signup_date": ("signupdate", "registrationdate", "registeredat", "createdat",
                        "customersince", "firstseen", "joindate", "joinedat"),
        "birth_date": ("birthdate", "dateofbirth", "dob", "birthday"),
        "marketing_opt_in": ("optin", "newsletter", "marketingconsent", "acceptsmarketing"),
    },
    "products": {
        "product_id": ("product", *[f"product{s}" for s in _ID], "stockcode", "sku", "itemid",
                       "articleid", "article", "articleno", "item"),
        "product_name": ("name", "description", "title", "productdescription", "itemname"),
        "category": ("productcategory", "categoryname", "group", "productgroup", "department"),
        "list_price": ("price", "unitprice", "listprice", "rrp", "msrp"),
    },
    "invoice_lines": {  # the input of the retail_invoice_lines transform
        "invoice": ("invoice", *[f"invoice{s}" for s in _ID], "order", *[f"order{s}" for s in _ID],
                    "transactionid", "receiptid"),
        "stock_code": ("stockcode", "sku", "productid", "productcode", "itemid", "itemcode",
                       "articleid", "articleno", "product"),
        "description": ("description", "productname", "itemname", "productdescription"),
        "quantity": ("quantity", "qty", "units"),
        "invoice_date": ("invoicedate", "orderdate", "date", "transactiondate", "purchasedate",
                         "datetime", "timestamp"),
        "price": ("price", "unitprice", "itemprice", "priceeach", "priceperunit"),
        "customer_id": (*[f"customer{s}" for s in _ID], "cust", "custid", "clientid",
                        "memberid", "accountid", "userid"),
        "country": ("country", "countryname"),
    },
}
"""Per contract table and column, common export names (normalised, see :func:`normalise`)."""

INVOICE_LINE_KEYS = ("invoice", "stock_code", "quantity", "price", "invoice_date")
"""The columns that make a file an invoice-line export (one row per product on an invoice)."""


def looks_like_invoice_lines(source_columns: Iterable[str]) -> bool:
    """Whether a header is an invoice-line export: an invoice, a product code, a quantity, a
    unit price and a date, each found exactly once, and no order amount."""
    sources = list(source_columns)
    if any(candidates("orders", "amount", sources)):
        return False
    return all(len(candidates("invoice_lines", key, sources)) == 1
               for key in INVOICE_LINE_KEYS)


def normalise(name: str) -> str:
    """A column name without case, spaces, underscores, dashes, dots and slashes."""
    return re.sub(r"[\s_\-./]+", "", str(name)).lower()


def candidates(table: str, column: str, source_columns: Iterable[str]) -> list[str]:
    """Source columns that could be ``table.column``: its own name written differently, else
    its common names. Empty when nothing matches."""
    sources = list(source_columns)
    own = [c for c in sources if normalise(c) == normalise(column)]
    if own:
        return own
    names = set(SYNONYMS.get(table, {}).get(column, ()))
    return [c for c in sources if normalise(c) in names]
