// The same department without the warm-up snapshot (`npm run build:cold`):
// built only by `cargo xtask bench`, whose `guest_cost` measures what the
// warm-up saves. Not for serving.

import { department } from '@onething/sdk/component';
import { HousingFund } from './housing-fund.js';

/** The component's export (the WIT interface `handler`). */
export const handler = department(HousingFund, { warmUp: false });
