"""Words for generated retail catalogs: fixed lists, so a seed gives the same names everywhere."""

from __future__ import annotations

#: Category name -> product nouns sold in it.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "Running Shoes": ("Trail Runner", "Road Racer", "Tempo Trainer", "Cushion Runner"),
    "Hiking Boots": ("Mid Hiker", "Alpine Boot", "Trek Boot", "Approach Shoe"),
    "Jackets": ("Rain Shell", "Down Jacket", "Fleece Jacket", "Wind Breaker"),
    "Backpacks": ("Daypack", "Travel Pack", "Hydration Pack", "Commuter Bag"),
    "Tents": ("Dome Tent", "Ultralight Tent", "Family Tent", "Bivy Shelter"),
    "Sleeping Bags": ("Mummy Bag", "Quilt", "Synthetic Bag", "Camp Blanket"),
    "Cycling": ("Road Helmet", "Bike Light Set", "Cycling Jersey", "Saddle Bag"),
    "Yoga": ("Yoga Mat", "Yoga Block", "Studio Legging", "Meditation Cushion"),
    "Swimwear": ("Swim Short", "Racer Swimsuit", "Swim Goggles", "Rash Guard"),
    "Kitchen": ("Chef Knife", "Cast Iron Skillet", "Pour-Over Kettle", "Cutting Board"),
    "Coffee": ("Espresso Blend", "Single Origin Beans", "Cold Brew Kit", "Burr Grinder"),
    "Home Fitness": ("Kettlebell", "Resistance Bands", "Adjustable Dumbbell", "Jump Rope"),
    "Headphones": ("Wireless Earbuds", "Studio Headphones", "Sport Earphones", "Noise Canceller"),
    "Smartwatches": ("Fitness Tracker", "GPS Watch", "Smart Band", "Dive Watch"),
    "Skincare": ("Daily Sunscreen", "Face Serum", "Night Cream", "Lip Balm"),
    "Bedding": ("Linen Duvet", "Percale Sheet Set", "Memory Pillow", "Wool Throw"),
    "Lighting": ("Desk Lamp", "Floor Lamp", "Smart Bulb", "Lantern"),
    "Toys": ("Building Set", "Puzzle", "Plush Bear", "Wooden Train"),
    "Books": ("Trail Guide", "Cookbook", "Field Journal", "Atlas"),
    "Pet Supplies": ("Dog Harness", "Cat Tree", "Pet Bed", "Chew Toy"),
}

BRANDS: tuple[str, ...] = (
    "Northpeak",
    "Riverstone",
    "Altura",
    "Bluefjord",
    "Cedarline",
    "Summit & Co",
    "Evergrain",
    "Lumen",
    "Kestrel",
    "Oakhaven",
    "Tidewater",
    "Ironbark",
    "Solstice",
    "Wildroot",
    "Harborlight",
    "Granite Bay",
    "Meridian",
    "Fernwood",
    "Copperleaf",
    "Stillwater",
    "Brightside",
    "Nimbus",
    "Redtail",
    "Quarry",
)

ADJECTIVES: tuple[str, ...] = (
    "Classic",
    "Pro",
    "Lite",
    "Everyday",
    "Expedition",
    "Urban",
    "Essential",
    "Performance",
    "Heritage",
    "Compact",
    "Deluxe",
    "Eco",
)

#: Merchandising collections: labels only some assets carry.
COLLECTIONS: tuple[str, ...] = ("New Arrivals", "Bestsellers", "Clearance", "Gift Ideas")

#: Action types a retailer tracks, most frequent first, with their share of recommendations
#: and the share of those recommendations that come from the user's own history.
ACTION_TYPES: tuple[tuple[str, float, float], ...] = (
    ("view", 0.45, 0.55),
    ("add_to_cart", 0.25, 0.35),
    ("purchase", 0.18, 0.25),
    ("wishlist", 0.12, 0.3),
)


def slug(name: str) -> str:
    """``"Summit & Co"`` -> ``"summit-co"``: an id-safe spelling of a name."""
    words = "".join(c if c.isalnum() else " " for c in name.lower()).split()
    return "-".join(words)
