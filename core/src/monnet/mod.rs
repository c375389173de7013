//! Monnet Payments Payin API v3, back-to-back (card data through a PCI proxy).
