"""Request and response shapes of the API (parsing and presentation only; rules live in the domain)."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from orders.api.problems import PROBLEM_TYPES
from orders.domain.addresses import (
    MAX_ADDRESS_LINE_LENGTH,
    MAX_CITY_LENGTH,
    MAX_EMAIL_LENGTH,
    MAX_PHONE_LENGTH,
    MAX_POSTAL_CODE_LENGTH,
    MAX_RECIPIENT_LENGTH,
    ShippingAddress,
)
from orders.domain.commands import (
    MAX_CARRIER_LENGTH,
    MAX_LINE_QUANTITY,
    MAX_LINES,
    MAX_NOTE_LENGTH,
    MAX_PAYMENT_REFERENCE_LENGTH,
    MAX_REASON_LENGTH,
    MAX_STOCK_QUANTITY,
    MAX_TRACKING_NUMBER_LENGTH,
    changes_stock,
)
from orders.domain.countries import COUNTRY_CODES
from orders.domain.validation import SKU_PATTERN
from orders.domain.values import OrderStatus, money_text
from orders.text_input import CleanTextValidator
from orders.visibility import plain
from projections.reports import DEFAULT_TOP_PRODUCTS, MAX_DAYS, MAX_TOP_PRODUCTS
from projections.selectors import MAX_PAGE_SIZE

STATUSES = [status.value for status in OrderStatus]
SKU_REGEX = f"^{SKU_PATTERN.pattern}$"
MAX_POSITION = 2**63 - 1
_sku_validator = RegexValidator(SKU_REGEX, "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")


def sku_field(**kwargs: Any) -> serializers.CharField:
    """A sku as the domain accepts it."""
    return serializers.CharField(min_length=1, max_length=64, validators=[_sku_validator], **kwargs)


def text_field(max_length: int, *, multiline: bool = False, **kwargs: Any) -> serializers.CharField:
    """Non-blank text without control or format characters (the domain's rule; it also strips what it stores)."""
    validators = [*kwargs.pop("validators", []), CleanTextValidator(multiline=multiline)]
    return serializers.CharField(min_length=1, max_length=max_length, trim_whitespace=False, validators=validators,
                                 **kwargs)


class MoneyField(serializers.DecimalField):
    """Money as a decimal string with two places (never a float), written by the domain's formatter."""

    def to_representation(self, value: Decimal) -> str:
        return money_text(value)


class MomentField(serializers.DateTimeField):
    """A moment in ISO 8601 as Python writes it ("+00:00", microseconds kept), as the API has always sent it."""

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


def money_field(**kwargs: Any) -> serializers.DecimalField:
    """Money as a decimal string with two places (never a float)."""
    return MoneyField(max_digits=14, decimal_places=2, **kwargs)


# Not blank: at least one visible character (also in the schema, as a pattern).
_not_blank = RegexValidator(r"\S", "must not be blank")


# -- auth -----------------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    """Credentials for a token."""

    username = serializers.CharField(min_length=1, max_length=150, trim_whitespace=False)
    password = serializers.CharField(min_length=1, max_length=4096, trim_whitespace=False,
                                     style={"input_type": "password"})


class UserSerializer(serializers.Serializer):
    """Who a token belongs to."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    is_staff = serializers.BooleanField()


class TokenSerializer(serializers.Serializer):
    """A token to send as `Authorization: Token <token>`, and when it stops working."""

    token = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True, help_text="When the token expires (null: never).")
    user = UserSerializer()


# -- products -------------------------------------------------------------------------------------


class ProductSerializer(serializers.Serializer):
    """A catalogue product with its current availability (from the stock read model)."""

    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    description = serializers.CharField(source="product.description", allow_blank=True)
    unit_price = money_field(source="product.unit_price")
    currency = serializers.CharField(source="product.currency")
    active = serializers.BooleanField(source="product.active")
    available = serializers.IntegerField(help_text="Units that can be ordered now (0 without stock).")
    in_stock = serializers.BooleanField()


class ProductListSerializer(serializers.Serializer):
    """The catalogue (active products; staff also see inactive ones)."""

    items = ProductSerializer(many=True)
    stale = serializers.BooleanField(help_text="True if the stock figures had not reached min_position.")


# -- orders: input --------------------------------------------------------------------------------


class OrderLineRequestSerializer(serializers.Serializer):
    """A sku and a quantity; never a price (prices come from the catalogue)."""

    sku = sku_field()
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class StrictTextField(serializers.CharField):
    """Text only: a number is not a postal code (DRF's CharField would turn 10115 into "10115")."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _address_text(max_length: int, *, optional: bool = False, **kwargs: Any) -> StrictTextField:
    validators: list[Any] = [CleanTextValidator()] if optional else [_not_blank, CleanTextValidator()]
    extra: dict[str, Any] = {"required": False, "allow_blank": True, "default": ""} if optional else {"min_length": 1}
    return StrictTextField(max_length=max_length, trim_whitespace=False, validators=validators, **extra, **kwargs)


class ShippingAddressSerializer(serializers.Serializer):
    """A postal address; the domain checks each part again (a postal code's characters, a phone number's shape)."""

    recipient_name = _address_text(MAX_RECIPIENT_LENGTH)
    line1 = _address_text(MAX_ADDRESS_LINE_LENGTH, help_text="Street and number.")
    line2 = _address_text(MAX_ADDRESS_LINE_LENGTH, optional=True, help_text="Flat, floor, c/o (optional).")
    city = _address_text(MAX_CITY_LENGTH)
    postal_code = _address_text(MAX_POSTAL_CODE_LENGTH, help_text="Letters, digits, spaces and '-'.")
    country = serializers.ChoiceField(choices=sorted(COUNTRY_CODES),
                                      help_text="ISO 3166-1 alpha-2 code, upper case (DE, FR, GB, US, ...).")
    phone = _address_text(MAX_PHONE_LENGTH, optional=True, help_text="Optional; digits, spaces and + - ( ) . /.")

    def to_internal_value(self, data: Any) -> Any:
        return ShippingAddress(**super().to_internal_value(data))


def contact_email_field(**kwargs: Any) -> serializers.EmailField:
    """An email address to tell about an order."""
    return serializers.EmailField(max_length=MAX_EMAIL_LENGTH, validators=[CleanTextValidator()], **kwargs)


class CreateOrderSerializer(serializers.Serializer):
    """A new order."""

    lines = serializers.ListField(child=OrderLineRequestSerializer(), min_length=1, max_length=MAX_LINES)
    shipping_address = ShippingAddressSerializer(help_text="Where to ship the order.")
    contact_email = contact_email_field(required=False, help_text="Who is told about the order; defaults to the "
                                                                  "email of the customer's account.")
    customer_id = serializers.CharField(
        min_length=1, max_length=200, required=False, validators=[_not_blank],
        help_text="Staff only: place the order for this customer (user id). Customers order for themselves.")


class PayOrderSerializer(serializers.Serializer):
    """A payment; the amount must equal the order total."""

    amount = money_field(min_value=0)
    payment_reference = text_field(MAX_PAYMENT_REFERENCE_LENGTH, validators=[_not_blank])


class CancelOrderSerializer(serializers.Serializer):
    """Why the order is cancelled."""

    reason = text_field(MAX_REASON_LENGTH, multiline=True, validators=[_not_blank])


class ShipOrderSerializer(serializers.Serializer):
    """The carrier and tracking number of the parcel."""

    carrier = text_field(MAX_CARRIER_LENGTH, validators=[_not_blank])
    tracking_number = text_field(MAX_TRACKING_NUMBER_LENGTH, validators=[_not_blank])


class DeliverOrderSerializer(serializers.Serializer):
    """Delivery needs no details (an empty object or no body)."""


class CorrectShippingAddressSerializer(serializers.Serializer):
    """The corrected address and why (the reason is shown to staff only)."""

    shipping_address = ShippingAddressSerializer()
    reason = text_field(MAX_REASON_LENGTH, multiline=True, validators=[_not_blank])


class SavedAddressSerializer(ShippingAddressSerializer):
    """An address in the caller's address book."""

    id = serializers.IntegerField(read_only=True)
    created_at = MomentField(read_only=True)


class SavedAddressListSerializer(serializers.Serializer):
    """The caller's saved addresses, newest first."""

    items = SavedAddressSerializer(many=True)


class AddNoteSerializer(serializers.Serializer):
    """A staff note."""

    text = text_field(MAX_NOTE_LENGTH, multiline=True, validators=[_not_blank])


class OrderListQuerySerializer(serializers.Serializer):
    """Filters and paging of the order list."""

    status = serializers.ChoiceField(choices=STATUSES, required=False)
    customer_id = serializers.CharField(max_length=200, required=False,
                                        help_text="Staff only; customers always list their own orders.")
    cursor = serializers.CharField(max_length=200, required=False, allow_blank=True)
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False, default=20)
    min_position = serializers.IntegerField(min_value=0, max_value=MAX_POSITION, required=False)


# -- orders: output -------------------------------------------------------------------------------


class OrderLineSerializer(serializers.Serializer):
    """A priced line of a placed order."""

    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = money_field()
    subtotal = money_field()


class UnavailableLineSerializer(serializers.Serializer):
    """A line that could not be reserved."""

    sku = serializers.CharField()
    requested = serializers.IntegerField()
    available = serializers.IntegerField()


class TrackingSerializer(serializers.Serializer):
    """Where a shipped parcel can be followed."""

    carrier = serializers.CharField()
    number = serializers.CharField()


class OrderSerializer(serializers.Serializer):
    """An order as the read model knows it; `version` is its ETag."""

    order_id = serializers.UUIDField()
    customer_id = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUSES)
    currency = serializers.CharField()
    total = money_field()
    lines = OrderLineSerializer(many=True)
    created_at = MomentField()
    updated_at = MomentField()
    confirmed_at = MomentField(allow_null=True)
    rejected_at = MomentField(allow_null=True)
    paid_at = MomentField(allow_null=True)
    shipped_at = MomentField(allow_null=True)
    delivered_at = MomentField(allow_null=True)
    cancelled_at = MomentField(allow_null=True)
    amount_paid = money_field(allow_null=True)
    payment_reference = serializers.CharField(allow_null=True)
    tracking = TrackingSerializer(allow_null=True)
    cancel_reason = serializers.CharField(source="cancellation_reason", allow_null=True)
    cancelled_by = serializers.CharField(allow_null=True, help_text='Who cancelled: "<kind>:<id>" for staff, only '
                                                                    'the kind (customer, staff, system) for customers.')
    refund_amount = money_field(allow_null=True)
    reject_reason = serializers.CharField(source="rejection_reason", allow_null=True)
    unavailable_lines = UnavailableLineSerializer(many=True)
    note_count = serializers.IntegerField(required=False, help_text="Staff notes on the order; staff only (absent "
                                                                    "for customers).")
    shipping_address = ShippingAddressSerializer(allow_null=True, help_text="Where the order ships (the current "
                                                 "address, after any correction); null for orders placed before "
                                                 "addresses were recorded.")
    contact_email = serializers.CharField(allow_null=True, help_text="Who is told about the order; null for orders "
                                                                     "placed before it was recorded.")
    version = serializers.IntegerField(help_text="The aggregate version (the ETag).")
    last_position = serializers.IntegerField(help_text="Commit position of the last event folded in.")


class OrderDetailSerializer(OrderSerializer):
    """One order, with the staleness marker of the read."""

    stale = serializers.BooleanField(help_text="True if the read model had not reached min_position.")


@extend_schema_serializer(many=False)  # a page object, not a list, on the list action
class OrderPageSerializer(serializers.Serializer):
    """A page of orders, newest first."""

    items = OrderSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="Pass as `cursor` for the next page.")
    next = serializers.CharField(allow_null=True, help_text="The URL of the next page.")
    total = serializers.IntegerField(allow_null=True,
                                     help_text="Orders in the whole listing (null when filtering a customer's "
                                               "orders by status).")
    stale = serializers.BooleanField(help_text="True if the read model had not reached min_position.")


class EventRefSerializer(serializers.Serializer):
    """An event a command appended."""

    event_id = serializers.UUIDField()
    event_type = serializers.CharField()


class CommandResultSerializer(serializers.Serializer):
    """Where a command's events landed; wait for `commit_position` (min_position) to read your writes."""

    stream = serializers.CharField()
    aggregate_id = serializers.CharField()
    version = serializers.IntegerField(help_text="The aggregate's new version (also the ETag header).")
    commit_position = serializers.IntegerField(help_text="Also the X-Event-Position header.")
    events = EventRefSerializer(many=True)
    replayed = serializers.BooleanField(help_text="True when an idempotency key returned an earlier result.")
    location = serializers.CharField(help_text="Also the Location header.")


# -- timelines ------------------------------------------------------------------------------------


class TimelineQuerySerializer(serializers.Serializer):
    """Which window of history to show."""

    as_of_version = serializers.IntegerField(min_value=0, max_value=MAX_POSITION, required=False,
                                             help_text="Show the state as of this version (time travel).")
    from_version = serializers.IntegerField(min_value=0, max_value=MAX_POSITION, required=False)
    limit = serializers.IntegerField(min_value=1, max_value=500, required=False, default=100)


class PlainJSONField(serializers.JSONField):
    """Any value of event data or aggregate state, as plain JSON (Decimal, UUID, datetime as strings)."""

    def to_representation(self, value: Any) -> Any:
        return plain(value)


class FieldChangeSerializer(serializers.Serializer):
    """One field an event changed (dotted path for nested fields)."""

    path = serializers.CharField()
    before = PlainJSONField(allow_null=True)
    after = PlainJSONField(allow_null=True)


class EventMetadataSerializer(serializers.Serializer):
    """Who caused an event and in which flow (staff only)."""

    correlation_id = serializers.UUIDField()
    causation_id = serializers.UUIDField(allow_null=True)
    actor = serializers.CharField()


class TimelineEntrySerializer(serializers.Serializer):
    """One event, what it means, and what it changed."""

    version = serializers.IntegerField()
    event_id = serializers.UUIDField()
    event_type = serializers.CharField()
    schema_version = serializers.IntegerField()
    commit_position = serializers.IntegerField()
    recorded_at = MomentField()
    description = serializers.CharField()
    # A field named like Serializer.data (the metaclass takes declared fields out of the class, so the
    # property stays); this serializer renders nested entries, whose `.data` is never read.
    data = serializers.DictField(child=serializers.JSONField(allow_null=True))  # type: ignore[assignment]
    changes = FieldChangeSerializer(many=True)
    metadata = EventMetadataSerializer(allow_null=True, help_text="Staff only; null for customers.")


class TimelineSerializer(serializers.Serializer):
    """A window of an aggregate's history, oldest first, and the state after its last event."""

    stream = serializers.CharField()
    kind = serializers.ChoiceField(choices=["order", "inventory"])
    aggregate_id = serializers.CharField()
    last_version = serializers.IntegerField(help_text="The aggregate's newest version.")
    as_of_version = serializers.IntegerField(allow_null=True, help_text="The version `state` is at.")
    state = serializers.DictField(child=serializers.JSONField(allow_null=True))
    entries = TimelineEntrySerializer(many=True)
    next_from_version = serializers.IntegerField(allow_null=True,
                                                 help_text="Pass as `from_version` for the next window.")


# -- inventory ------------------------------------------------------------------------------------


class StockLevelSerializer(serializers.Serializer):
    """Stock of one sku; `version` is its ETag."""

    sku = serializers.CharField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    is_low = serializers.BooleanField()
    version = serializers.IntegerField()
    updated_at = MomentField()


class StockLevelDetailSerializer(StockLevelSerializer):
    """Stock of one sku, with the staleness marker."""

    stale = serializers.BooleanField()


@extend_schema_serializer(many=False)  # a page object, not a list, on the list action
class StockListSerializer(serializers.Serializer):
    """Stock of every sku with stock history."""

    items = StockLevelSerializer(many=True)
    stale = serializers.BooleanField()


class InventoryQuerySerializer(serializers.Serializer):
    """Filters of the stock list."""

    low = serializers.BooleanField(required=False, default=False, help_text="Only skus low on stock.")
    min_position = serializers.IntegerField(min_value=0, max_value=MAX_POSITION, required=False)


class ReceiveStockSerializer(serializers.Serializer):
    """Delivered units."""

    quantity = serializers.IntegerField(min_value=1, max_value=MAX_STOCK_QUANTITY)


class AdjustStockSerializer(serializers.Serializer):
    """A correction of stock on hand."""

    delta = serializers.IntegerField(min_value=-MAX_STOCK_QUANTITY, max_value=MAX_STOCK_QUANTITY)
    reason = text_field(MAX_REASON_LENGTH, multiline=True, validators=[_not_blank])

    def validate_delta(self, value: int) -> int:
        if not changes_stock(value):
            raise serializers.ValidationError("must not be zero")
        return value


# -- projections ----------------------------------------------------------------------------------


class RebuildInfoSerializer(serializers.Serializer):
    """A rebuild in progress (or interrupted and resumable)."""

    generation = serializers.IntegerField()
    checkpoint = serializers.IntegerField(allow_null=True)
    done = serializers.IntegerField()
    running = serializers.BooleanField()
    halted_on = serializers.CharField(allow_null=True)


class SubscriberStatusSerializer(serializers.Serializer):
    """A projection's (or process manager's) state, position and lag."""

    name = serializers.CharField()
    state = serializers.ChoiceField(choices=["halted", "rebuilding", "running", "idle"])
    generation = serializers.IntegerField()
    checkpoint = serializers.IntegerField(allow_null=True)
    head = serializers.IntegerField()
    lag_events = serializers.IntegerField()
    lag_display = serializers.CharField()
    lag_seconds = serializers.FloatField()
    dead_letters = serializers.IntegerField()
    last_run_at = serializers.CharField(allow_null=True)
    last_error = serializers.CharField(allow_null=True)
    last_error_at = serializers.CharField(allow_null=True)
    halted_on = serializers.CharField(allow_null=True)
    lock_holder = serializers.CharField(allow_null=True)
    rebuild = RebuildInfoSerializer(allow_null=True)


class DeadLetterSerializer(serializers.Serializer):
    """A parked event and why it failed."""

    subscriber = serializers.CharField()
    event_id = serializers.CharField()
    stream_name = serializers.CharField()
    stream_position = serializers.IntegerField()
    commit_position = serializers.IntegerField()
    event_type = serializers.CharField()
    error = serializers.CharField()
    traceback = serializers.CharField()
    attempts = serializers.IntegerField()
    first_failed_at = serializers.CharField()
    last_failed_at = serializers.CharField()
    policy = serializers.ChoiceField(choices=["park", "halt"])
    generation = serializers.IntegerField()


class DeadLetterIdsSerializer(serializers.Serializer):
    """Which parked events to act on."""

    event_ids = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1, max_length=100)


class RetryOutcomeSerializer(serializers.Serializer):
    """What retrying one parked event did."""

    event_id = serializers.CharField()
    succeeded = serializers.BooleanField()
    error = serializers.CharField(allow_null=True)


class RetryResultSerializer(serializers.Serializer):
    """Outcomes of a retry, one per event id."""

    outcomes = RetryOutcomeSerializer(many=True)


class DiscardResultSerializer(serializers.Serializer):
    """Ids that were discarded (unknown ids are ignored)."""

    discarded = serializers.ListField(child=serializers.CharField())


# -- errors ---------------------------------------------------------------------------------------


class FieldErrorSerializer(serializers.Serializer):
    """One invalid field."""

    field = serializers.CharField(allow_null=True, help_text="Dotted path (lines.0.sku); null for the whole body.")
    detail = serializers.CharField()


_PROBLEM_TYPES_HELP = "A URI naming the kind of problem, urn:ordersys:problem:<slug>, one of: " + "; ".join(
    f"`{slug}`: {meaning}" for slug, meaning in PROBLEM_TYPES.items())


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details (application/problem+json)."""

    type = serializers.CharField(help_text=_PROBLEM_TYPES_HELP)
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(help_text="The request path.")
    # A field named like Serializer.errors: this serializer only describes the problem body in the schema.
    errors = FieldErrorSerializer(many=True, required=False,  # type: ignore[assignment]
                                  help_text="Validation problems only.")
    current_version = serializers.IntegerField(required=False, allow_null=True,
                                               help_text="412 only: the aggregate's current version.")


# -- reports --------------------------------------------------------------------------------------


class DayField(serializers.DateField):
    """A calendar day written exactly YYYY-MM-DD (strptime alone would also take "2026-1-2")."""

    PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(input_formats=["%Y-%m-%d"], **kwargs)

    def to_internal_value(self, value: Any) -> date:
        if not (isinstance(value, str) and self.PATTERN.fullmatch(value)):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class SalesReportQuerySerializer(serializers.Serializer):
    """`from` and `to` (inclusive UTC days, at most MAX_DAYS of them); `from` is a Python keyword, hence get_fields."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "from": DayField(help_text="First UTC day, YYYY-MM-DD."),
            "to": DayField(help_text=f"Last UTC day (inclusive), YYYY-MM-DD; at most {MAX_DAYS} days "
                                   "from `from`, not before it."),
            "top": serializers.IntegerField(min_value=1, max_value=MAX_TOP_PRODUCTS, required=False,
                                            default=DEFAULT_TOP_PRODUCTS,
                                            help_text="How many best-selling skus to list."),
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs["from"], attrs["to"]
        if end < start:
            raise serializers.ValidationError({"to": "must not be before from"})
        if (end - start).days + 1 > MAX_DAYS:
            raise serializers.ValidationError({"to": f"the range may span at most {MAX_DAYS} days"})
        return attrs


class CurrencyTotalsSerializer(serializers.Serializer):
    """One currency's figures (amounts never mix currencies)."""

    currency = serializers.CharField()
    orders_created = serializers.IntegerField(help_text="Orders placed in this currency.")
    orders_paid = serializers.IntegerField(help_text="Orders paid in this currency.")
    revenue = money_field(help_text="Amount paid.")
    refunds = money_field(help_text="Amount refunded on cancellation.")
    net_revenue = money_field(help_text="revenue - refunds.")


class SalesCountsSerializer(serializers.Serializer):
    """Order counts over all currencies."""

    orders_created = serializers.IntegerField()
    orders_paid = serializers.IntegerField()
    orders_cancelled = serializers.IntegerField()
    orders_refunded = serializers.IntegerField()
    orders_rejected = serializers.IntegerField()


class SalesDaySerializer(SalesCountsSerializer):
    """One UTC day."""

    day = serializers.DateField()
    currencies = CurrencyTotalsSerializer(many=True)


class SalesTotalsSerializer(SalesCountsSerializer):
    """The whole range."""

    currencies = CurrencyTotalsSerializer(many=True)


class TopProductSerializer(serializers.Serializer):
    """A best-selling sku: units on paid, not refunded orders paid within the range."""

    sku = serializers.CharField()
    name = serializers.CharField(help_text="Its catalogue name; empty if it left the catalogue.")
    units = serializers.IntegerField()


class SalesReportSerializer(serializers.Serializer):
    """Sales per UTC day and in total, per currency, and the best-selling products."""

    to = serializers.DateField(help_text="Last day of the range.")
    days = SalesDaySerializer(many=True, help_text="Every day of the range, oldest first (days without orders too).")
    totals = SalesTotalsSerializer()
    top_products = TopProductSerializer(many=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        # `from` is a Python keyword: it cannot be a class attribute.
        return {"from": serializers.DateField(help_text="First day of the range."), **super().get_fields()}


# -- the caller's data export (GET /api/me/export/) -----------------------------------------------
# Describes the document orders/privacy/export.py builds (the view sends that document as it is; a
# test renders it through these serializers and expects it unchanged, so the two cannot drift).


class ExportAccountSerializer(serializers.Serializer):
    """The account itself."""

    customer_id = serializers.CharField(help_text="The id orders and events name the customer by.")
    username = serializers.CharField()
    email = serializers.CharField(allow_blank=True)
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)
    is_active = serializers.BooleanField()


class ExportAddressSerializer(serializers.Serializer):
    """A postal address as it was recorded."""

    recipient_name = serializers.CharField()
    line1 = serializers.CharField()
    line2 = serializers.CharField(allow_blank=True)
    city = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    phone = serializers.CharField(allow_blank=True)


class ExportSavedAddressSerializer(ExportAddressSerializer):
    """An address in the address book."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class ExportNotificationSettingsSerializer(serializers.Serializer):
    """The customer's choices about mail."""

    order_emails = serializers.BooleanField(help_text="Whether order emails are sent (the default) or turned off.")


class ExportNotificationSerializer(serializers.Serializer):
    """One email about one of the customer's orders: sent, or why not."""

    order_id = serializers.UUIDField()
    kind = serializers.CharField()
    description = serializers.CharField()
    recipient = serializers.CharField(allow_blank=True, help_text="The address it went to (empty: none known).")
    outcome = serializers.CharField()
    outcome_description = serializers.CharField()
    recorded_at = serializers.DateTimeField()


class ExportOrderLineSerializer(serializers.Serializer):
    """A priced line of an order."""

    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.CharField(help_text="A decimal string.")


class ExportEventSerializer(serializers.Serializer):
    """One event of an order's history, as its customer may see it (no staff notes, no staff identities)."""

    version = serializers.IntegerField()
    event_id = serializers.UUIDField()
    event_type = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    description = serializers.CharField()
    # A field named like Serializer.data: see TimelineEntrySerializer.
    data = serializers.DictField(child=serializers.JSONField(allow_null=True))  # type: ignore[assignment]


class ExportOrderSerializer(serializers.Serializer):
    """One of the customer's orders as the read model knows it, and its whole history from the event store."""

    order_id = serializers.UUIDField()
    customer_id = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUSES)
    currency = serializers.CharField()
    total = serializers.CharField(help_text="A decimal string.")
    lines = ExportOrderLineSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    rejected_at = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    amount_paid = serializers.CharField(allow_null=True, help_text="A decimal string.")
    payment_reference = serializers.CharField(allow_null=True)
    tracking = TrackingSerializer(allow_null=True)
    cancellation_reason = serializers.CharField(allow_null=True)
    cancelled_by = serializers.CharField(allow_null=True, help_text="Who cancelled: customer, staff or system.")
    refund_amount = serializers.CharField(allow_null=True, help_text="A decimal string.")
    rejection_reason = serializers.CharField(allow_null=True)
    unavailable_lines = UnavailableLineSerializer(many=True)
    version = serializers.IntegerField(help_text="The order's version as the read model knows it.")
    shipping_address = ExportAddressSerializer(allow_null=True, help_text="The current address (null for orders "
                                                                          "placed before addresses were recorded).")
    contact_email = serializers.CharField(allow_null=True)
    address_corrected_at = serializers.DateTimeField(allow_null=True)
    events = ExportEventSerializer(many=True, help_text="Oldest first, read from the event store.")


class CustomerExportSerializer(serializers.Serializer):
    """Everything the shop holds about the caller (GDPR articles 15 and 20), as one JSON document."""

    format = serializers.CharField(help_text='Always "ordersys-customer-data".')
    version = serializers.IntegerField(help_text="The document's format version.")
    generated_at = serializers.DateTimeField()
    account = ExportAccountSerializer()
    saved_addresses = ExportSavedAddressSerializer(many=True)
    notification_settings = ExportNotificationSettingsSerializer()
    notifications = ExportNotificationSerializer(many=True, help_text="Emails about the caller's orders.")
    orders = ExportOrderSerializer(many=True, help_text="Newest first.")
    orders_current = serializers.BooleanField(help_text="False when the order list had not caught up with the "
                                                        "newest changes (an order placed in the last moments may be "
                                                        "missing): download again shortly.")
