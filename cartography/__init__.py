"""wslab.cartography: dataset cartography (training dynamics, data maps)."""
