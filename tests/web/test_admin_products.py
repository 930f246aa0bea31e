"""Staff admin: products with stock levels from the read model; receiving and adjusting stock."""
from __future__ import annotations

from django.urls import reverse

from orders.models import Product
from tests.web.conftest import place, project


def test_the_product_list_shows_stock_from_the_read_model(staff_client, customer_a, stocked):
    mug = stocked("Mug", quantity=10)
    bare = stocked("Cap", quantity=0)
    place(customer_a, (mug, 3))
    project()

    response = staff_client.get("/admin/orders/product/")

    page = response.content.decode()
    assert response.status_code == 200
    row = page.split(f">{mug}</a>")[1].split("</tr>")[0]
    assert '<td class="field-on_hand">10</td>' in row and '<td class="field-reserved">3</td>' in row
    assert ">7</a>" in row
    assert "no stock" in page.split(f">{bare}</a>")[1].split("</tr>")[0]


def test_receiving_and_adjusting_stock_of_one_product(staff_client, stocked):
    mug = stocked(quantity=0)
    product = Product.objects.get(sku=mug)
    url = reverse("admin:orders_product_stock", args=[product.pk])
    assert "No stock history yet" in staff_client.get(url).content.decode()

    received = staff_client.post(url, {"receive-quantity": "12", "_receive": "1"}, follow=True)
    assert f"Received 12 × {mug}" in received.content.decode()
    project()
    adjusted = staff_client.post(url, {"adjust-delta": "-2", "adjust-reason": "broken in transit", "_adjust": "1"},
                                 follow=True)
    assert f"Adjusted {mug} by -2" in adjusted.content.decode()
    project()

    page = staff_client.get(url).content.decode()
    assert '<td id="on-hand">10</td>' in page
    change = staff_client.get(reverse("admin:orders_product_change", args=[product.pk])).content.decode()
    assert "10 on hand, 0 reserved, 10 available" in change and f"/admin/eventlog/stream/inventory-{mug}/" in change


def test_stock_forms_explain_what_is_wrong(staff_client, stocked):
    mug = stocked(quantity=2)
    project()
    url = reverse("admin:orders_product_stock", args=[Product.objects.get(sku=mug).pk])

    zero = staff_client.post(url, {"adjust-delta": "0", "adjust-reason": "x", "_adjust": "1"})
    too_much = staff_client.post(url, {"adjust-delta": "-5", "adjust-reason": "lost", "_adjust": "1"}, follow=True)
    negative = staff_client.post(url, {"receive-quantity": "-1", "_receive": "1"})

    assert zero.status_code == 200 and "must change the stock" in zero.content.decode()
    assert "cannot adjust" in too_much.content.decode()
    assert negative.status_code == 200 and "errorlist" in negative.content.decode()


def test_the_receive_stock_action_covers_the_selected_products(staff_client, stocked):
    skus = [stocked("Mug", quantity=0), stocked("Tee", quantity=1)]
    pks = [str(Product.objects.get(sku=sku).pk) for sku in skus]

    ask = staff_client.post("/admin/orders/product/", {"action": "receive_stock", "_selected_action": pks})
    assert ask.status_code == 200 and "Units to receive" in ask.content.decode()
    done = staff_client.post("/admin/orders/product/", {"action": "receive_stock", "_selected_action": pks,
                                                        "quantity": "5", "_apply": "1"}, follow=True)
    assert "Received 5 units of each of" in done.content.decode()
    project()
    page = staff_client.get("/admin/orders/product/").content.decode()
    assert '<td class="field-on_hand">5</td>' in page and '<td class="field-on_hand">6</td>' in page
