// The component's entry (`npm run build`): the housing fund department as
// the WIT interface `handler`, its snapshot warmed up with typical
// applications.

import { department } from '@onething/sdk/component';
import { HousingFund, SAMPLES } from './housing-fund.js';

/** The component's export (the WIT interface `handler`). */
export const handler = department(HousingFund, { samples: SAMPLES });
