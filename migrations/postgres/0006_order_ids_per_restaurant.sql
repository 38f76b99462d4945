-- An order's id is made by the device that took it, so it is unique within its restaurant, not across the
-- server: with the key on (tenant_id, id) an id already used by another restaurant is simply free here,
-- and answering "already in use" can no longer tell one restaurant that another has such an order.

ALTER TABLE orders DROP CONSTRAINT orders_pkey;
ALTER TABLE orders ADD PRIMARY KEY (tenant_id, id);
