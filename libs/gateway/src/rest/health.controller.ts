import { Controller, Get } from '@nestjs/common';

@Controller()
export class HealthController {
  /** Answers without a token: load balancers and probes ask it. */
  @Get('health')
  health() {
    return { status: 'ok' };
  }
}
