"""Mail in and out: parsing, subjects, addresses, reply tokens, reply stripping, composing."""
