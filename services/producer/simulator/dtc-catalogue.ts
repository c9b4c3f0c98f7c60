import type { DtcSource } from '../../../schemas/telemetry-records.js';

interface DtcEntry {
  readonly code: string;
  readonly source: DtcSource;
  readonly spn: number | null;
  readonly fmi: number | null;
  readonly description: string;
}

const obd = (code: string, description: string): DtcEntry => ({ code, source: 'OBD_II', spn: null, fmi: null, description });
const j1939 = (spn: number, fmi: number, description: string): DtcEntry => ({
  code: `${spn}-${fmi}`, source: 'J1939', spn, fmi, description,
});

/** Real-world codes the simulator draws from. */
export const dtcCatalogue: Readonly<Record<DtcSource, readonly DtcEntry[]>> = {
  OBD_II: [
    obd('P0301', 'Cylinder 1 misfire detected'),
    obd('P0420', 'Catalyst system efficiency below threshold (bank 1)'),
    obd('P0171', 'System too lean (bank 1)'),
    obd('P0128', 'Coolant thermostat below regulating temperature'),
    obd('P0442', 'Evaporative emission system leak detected (small leak)'),
    obd('C0035', 'Left front wheel speed sensor circuit'),
  ],
  J1939: [
    j1939(110, 0, 'Engine coolant temperature: data valid but above normal range'),
    j1939(100, 1, 'Engine oil pressure: data valid but below normal range'),
    j1939(3_251, 16, 'Aftertreatment DPF differential pressure: moderately high'),
    j1939(168, 4, 'Battery potential: voltage below normal'),
    j1939(639, 14, 'J1939 network #1: special instructions'),
  ],
};
